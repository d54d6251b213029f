// Seed 003 in the browser: a system staff member requests a software change, which climbs
// to the central administrator, is reviewed by the information-assurance officer and is
// carried out; a user reports a failure, which climbs the chain while the isolation and
// first-aid instructions come back down, and the central administrator records the
// restoration.
import { expect, test, type Page } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login, tokyoLocalTime } from './helpers';

const PASSWORD = 'a-long-enough-passphrase';
const INITIAL = 'initial-pass-1';

/** Opens a case from the inbox by its title. */
async function fromInbox(page: Page, title: string | RegExp): Promise<void> {
  await page.goto('/');
  await page.locator('[data-test=inbox]').getByRole('link', { name: title }).first().click();
}

test('a change request climbs to the officer and is carried out; a failure goes up and its instructions come down', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const ministry = await apiCreate(page, '/api/v1/organisations', { name: `防衛省 ${suffix}`, kind: 'ministry' });
  const body = await apiCreate(page, '/api/v1/organisations', { name: `防衛大学校 ${suffix}`, kind: 'agency', parent: ministry });
  const sectionName = `管理施設課 ${suffix}`;
  const section = await apiCreate(page, '/api/v1/organisations', { name: sectionName, kind: 'department', parent: body });
  const people: Array<[string, string, string, string]> = [
    ['施設 課長', `gm.${suffix}@mod.example.jp`, ministry, 'ops_general_manager'],
    ['契約 室長', `central.${suffix}@mod.example.jp`, ministry, 'ops_central_administrator'],
    ['防大 管理者', `admin.${suffix}@nda.example.jp`, body, 'ops_system_administrator'],
    ['防大 運用', `ops.${suffix}@nda.example.jp`, section, 'ops_operation_manager'],
    ['防大 担当', `staff.${suffix}@nda.example.jp`, section, 'ops_system_staff'],
    ['防大 利用', `user.${suffix}@nda.example.jp`, section, 'ops_user'],
  ];
  await apiPeople(page, people, INITIAL);
  const [gm, central, sysadmin, ops, staff, user] = await Promise.all(
    people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)),
  );

  // The general manager registers the system at 注意; the top posts are held for its row.
  const system = `建設CALS ${suffix}`;
  const row = await apiCreate(gm, '/api/v1/registers/managed_systems/rows', {
    organisation: ministry,
    data: { system_name: system, information: 'caution' },
  });
  const ids = async (p: Page) => (await (await p.request.get('/api/v1/me')).json()).id as string;
  for (const [role, who] of [
    ['ops_general_manager', gm],
    ['ops_ia_officer', gm],
    ['ops_central_administrator', central],
  ] as const) {
    await apiCreate(page, `/api/v1/registers/managed_systems/rows/${row}/roles`, { role, person: await ids(who), starts_on: '2020-04-01' });
  }

  // The staff member fills in 付紙様式第3. 増設 is not a change of software: refused with the
  // rule, and what was typed stays.
  await staff.goto('/procedures');
  await staff.locator('section[data-procedure="mod-system-ops/change_request"]').getByRole('link', { name: `${sectionName} として申請する` }).click();
  await staff.getByLabel('情報システムの名称').fill(system);
  await staff.getByLabel('機関等').fill(`防衛大学校 ${suffix}`);
  await staff.getByLabel('内線番号').fill('2345');
  await staff.getByLabel('変更種別').selectOption('software');
  await staff.getByLabel('変更区分').selectOption('add');
  await staff.getByLabel('変更を行う理由').fill('図面の閲覧に必要なため');
  await staff.getByLabel('変更の実施希望日').fill('2026-12-20');
  await staff.getByLabel('ソフトウェア名').fill('図面ビューア');
  await staff.getByLabel('バージョン').fill('3.2');
  await staff.getByLabel('製造又は販売元等').fill('図面社');
  await staff.getByLabel('管理番号').fill('NDA-PC-101');
  await staff.getByRole('button', { name: '申請する' }).click();
  await expect(staff.getByRole('alert')).toContainText('インストールかアンインストール');
  await expect(staff.getByLabel('ソフトウェア名')).toHaveValue('図面ビューア');
  await expectNoAxeViolations(staff);
  await staff.getByLabel('変更区分').selectOption('install');
  await staff.getByRole('button', { name: '申請する' }).click();
  await expect(staff.locator('[data-test=case-state]')).toHaveText('システム運用管理者が確認中');
  const changePath = new URL(staff.url()).pathname;

  // Up the chain: the operation manager, the body's administrator, the central administrator.
  // Each finds the request in the inbox by what it is about: a system's own rounds (its
  // monthly backup, the yearly education) sit in the same inboxes under the system's name.
  const request = /図面ビューア/;
  await fromInbox(ops, request);
  await ops.locator('form[data-action=pass_to_administrator]').getByRole('button', { name: 'システム管理者へ回付する' }).click();
  await expect(ops.locator('[data-test=case-state]')).toHaveText('システム管理者が確認中');
  await fromInbox(sysadmin, request);
  await sysadmin.locator('form[data-action=pass_to_central]').getByRole('button', { name: '統括システム管理者へ申請する' }).click();
  await expect(sysadmin.locator('[data-test=case-state]')).toHaveText('統括システム管理者が確認中');
  await fromInbox(central, request);
  await central.locator('form[data-action=ask_ia_officer]').getByRole('button', { name: '情報保証上の影響を照会する' }).click();
  await expect(central.locator('[data-test=case-state]')).toHaveText('情報保証責任者へ照会中');

  // The officer answers; the central administrator carries it out and records the result.
  await fromInbox(gm, request);
  const answer = gm.locator('form[data-action=answer]');
  await answer.getByLabel('情報保証上の影響').selectOption('no_issue');
  await answer.getByRole('button', { name: '照会に回答する' }).click();
  await expect(gm.locator('[data-test=case-state]')).toHaveText('照会の回答あり（実施待ち）');
  await expectNoAxeViolations(gm);
  await central.goto(changePath);
  const implement = central.locator('form[data-action=implement]');
  await implement.getByLabel('実施日').fill('2026-12-20');
  await implement.getByLabel('実施結果').fill('NDA-PC-101 に図面ビューア 3.2 を導入した');
  await implement.getByRole('button', { name: '変更を実施した' }).click();
  await expect(central.locator('[data-test=case-state]')).toHaveText('変更済み');
  await expect(central.locator('[data-test=case-history]')).toContainText('照会に回答する');
  await staff.goto('/');
  await expect(staff.locator('[data-test=notices]')).toContainText('「変更を実施した」が行われ、「変更済み」になりました。');

  // A user reports a failure from the home page.
  await user.goto('/');
  await user.locator('[data-test=quick-starts]').getByRole('link', { name: '障害を連絡する' }).click();
  await user.getByLabel('情報システムの名称').fill(system);
  await user.getByLabel('発生日時').fill(tokyoLocalTime(-15));
  await user.getByLabel('障害が起きた機器（管理番号）').fill('NDA-PC-101');
  await user.getByLabel('障害の内容').fill('電子納品データが開けない');
  await user.getByLabel('氏名').fill('防大 利用');
  await user.getByLabel('電話番号').fill('03-1234-5678');
  await user.getByRole('button', { name: '障害を連絡する' }).click();
  await expect(user.locator('[data-test=case-state]')).toHaveText('システム運用管理者へ連絡済み');
  const failurePath = new URL(user.url()).pathname;

  await fromInbox(ops, 'NDA-PC-101');
  await ops.locator('form[data-action=pass_to_administrator]').getByRole('button', { name: 'システム管理者へ連絡する' }).click();
  // Isolation and first aid come back down to the user.
  await sysadmin.goto(failurePath);
  const firstAid = sysadmin.locator('form[data-action=instruct_first_aid]');
  await firstAid.getByLabel('切り分け・応急措置の指示').fill('LANケーブルを抜いて端末を隔離してください');
  await firstAid.getByRole('button', { name: '切り分け・応急措置を指示する' }).click();
  await expect(sysadmin.locator('[data-test=case-history]')).toContainText('切り分け・応急措置を指示する');
  await user.goto('/');
  await expect(user.locator('[data-test=notices]')).toContainText('「切り分け・応急措置を指示する」が行われ');
  await user.goto(failurePath);
  await expect(user.locator('body')).toContainText('LANケーブルを抜いて端末を隔離してください');

  // Up to the central administrator, who reports to the officer and restores the system.
  const notify = sysadmin.locator('form[data-action=notify_central]');
  await notify.getByLabel('障害内容').fill('端末1台で電子納品データが開けない。隔離済み。');
  await notify.getByRole('button', { name: '統括システム管理者へ通知する' }).click();
  await central.goto(failurePath);
  await central.locator('form[data-action=report_to_ia_officer]').getByRole('button', { name: '情報保証責任者へ報告する' }).click();
  await expect(central.locator('[data-test=case-state]')).toHaveText('復旧措置中');
  const restore = central.locator('form[data-action=record_restoration]');
  await restore.getByLabel('収集した障害原因ログ等').fill('イベントログ一式');
  await restore.getByLabel('障害の原因').fill('ディスクの破損');
  await restore.getByLabel('実施した復旧措置').fill('ディスク交換と複製からの復元');
  await restore.getByLabel('復旧日時').fill(tokyoLocalTime(0));
  await restore.getByRole('button', { name: '復旧を記録する' }).click();
  await expect(central.locator('[data-test=case-state]')).toHaveText('復旧済み');
  await gm.goto('/');
  await expect(gm.locator('[data-test=notices]')).toContainText('「情報保証責任者へ報告する」が行われ');
  await expectNoAxeViolations(central);

  // The staff print the equipment ledger (付紙様式第2) from the register's page.
  await staff.goto('/registers/mobile_terminals');
  await expect(staff.locator('[data-test=register-document]').first()).toHaveText('機器等管理簿 付紙様式第2（PDF）');
  await expectNoAxeViolations(staff);
});
