// Seed 000 in the browser: a company's site joins the Defense Security Gateway with four
// people acting on one case — the company's protected-system administrator applies and
// attaches the evidence as PDF, ATLA's information-systems office accepts and issues the
// notices, the works contractor records the survey, the line and the router, the service
// provider sends the accounts and records the connection tests — until the completion
// notice. Then a software request that updates online is refused on submission.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login } from './helpers';

const INITIAL = 'initial-pass-1';
const PASSWORD = 'a-long-enough-passphrase';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** The action box of `action` on the case page. */
function box(page: Page, action: string): Locator {
  return page.locator(`form.action-box[data-action=${action}]`);
}

/** Opens the case from the reader's inbox on the home page. */
async function openFromInbox(page: Page, title: string): Promise<void> {
  await page.goto('/');
  await page.locator('[data-test=inbox]').getByRole('link', { name: title }).first().click();
  await expect(page.locator('[data-test=case-state]')).toBeVisible();
}

/** Attaches a file for one of the form's attachment fields. */
async function attach(page: Page, field: string, name: string, content: Buffer): Promise<void> {
  const form = page.locator('[data-test=attach-form]');
  await form.locator('input[type=file]').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: content });
  await form.getByLabel('添付先の項目').selectOption({ label: field });
  await form.getByRole('button', { name: '添付する' }).click();
}

test('a site joins the gateway with four actors, and a software request updating online is refused', async ({ page, browser }) => {
  // Four people sign in and take some twenty actions on a debug build.
  test.setTimeout(180_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);

  // The administrator sets up ATLA, the company, and the provider and works contractor
  // ATLA engages (through the API).
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const ministry = await create('/api/v1/organisations', { name: `防衛省 ${suffix}`, kind: 'ministry' });
  const atla = await create('/api/v1/organisations', { name: `防衛装備庁 ${suffix}`, kind: 'agency', parent: ministry });
  const companyName = `甲社 ${suffix}`;
  const company = await create('/api/v1/organisations', { name: companyName, kind: 'company' });
  const provider = await create('/api/v1/organisations', { name: `DSG提供事業者 ${suffix}`, kind: 'company' });
  const works = await create('/api/v1/organisations', { name: `回線工事社 ${suffix}`, kind: 'company' });
  for (const [from, kind, to] of [
    [company, 'contracts_with', atla],
    [atla, 'engages', provider],
    [atla, 'engages', works],
  ]) {
    await create(`/api/v1/organisations/${from}/relations`, { kind, other: to });
  }
  const people: Array<[string, string, string, string]> = [
    ['甲 管理者', `admin.${suffix}@ko.example.jp`, company, 'dsg_administrator'],
    ['情シ 室員', `office.${suffix}@atla.example.jp`, atla, 'dsg_office'],
    ['工事 担当', `staff.${suffix}@works.example.jp`, works, 'dsg_works_contractor'],
    ['提供 担当', `staff.${suffix}@provider.example.jp`, provider, 'dsg_service_provider'],
  ];
  await apiPeople(page, people, INITIAL);
  const site = `第二事業所 ${suffix}`;

  // ---- ① The company's administrator fills in the application.
  const admin = await firstLoginPage(browser, people[0][1], INITIAL, PASSWORD);
  await admin.goto('/procedures');
  await admin
    .locator('[data-procedure="mod-dsg/joining"]')
    .getByRole('link', { name: `${companyName} として申請する` })
    .click();
  const form = admin.locator('form[data-autosave]');
  await expect(form.getByLabel('企業名')).toHaveValue(companyName);
  await form.getByLabel('拠点名').fill(site);
  await form.getByLabel('拠点の所在地').fill('神奈川県横浜市〇〇区1-2-3');
  const contact = form.getByRole('group', { name: /保護システム管理者/ });
  await contact.getByLabel('氏名').fill('甲 管理者');
  await contact.getByLabel('電話番号').fill('045-000-0000');
  await form.getByRole('group', { name: /^1 実績等/ }).getByLabel('はい', { exact: true }).check();
  await form.getByLabel(/設備 — /).selectOption('built');
  await form.getByLabel('保有している監査結果等').selectOption('none');
  await form.getByRole('group', { name: /^3 機器/ }).getByLabel('はい', { exact: true }).check();
  await form.getByLabel('拠点地域').selectOption('japan');
  await form.getByLabel('通信ルータ').selectOption('wired');
  await form.getByLabel('端末識別名 1', { exact: true }).fill('PC-01');
  await form.getByLabel('端末識別名 2', { exact: true }).fill('PC-02');
  await form.getByLabel('氏名 1', { exact: true }).fill('甲 管理者');
  await form.getByLabel('登録方法 1', { exact: true }).selectOption('remote');
  // The consent items are answered before the application goes.
  for (const item of [/スケジュールに沿って/, /同じ月の中で/, /付帯工事/, /データを退避/, /ホワイトリストにない/]) {
    await form.getByRole('group', { name: item }).getByLabel('はい', { exact: true }).check();
  }
  await form.getByRole('button', { name: '下書きを保存' }).click();
  await expect(admin.locator('[data-test=case-state]')).toHaveText('① 申請書作成中');
  // Saved, the requirements are checked: all four met.
  await expect(admin.locator('[data-test=computed]')).toContainText('すべて満たしています');

  // The evidence is attached as PDF; a Word file is refused with the reason.
  await attach(admin, '契約への従事の実績や見込み等を証する資料（PDF）', '実績.docx', Buffer.from('PK\u0003\u0004rest'));
  await expect(admin.getByRole('alert').or(admin.locator('.field-error')).first()).toContainText('PDF ファイルだけ');
  await attach(admin, '契約への従事の実績や見込み等を証する資料（PDF）', '実績.pdf', PDF);
  await expect(admin.locator('[data-test=attached]')).toContainText('実績.pdf');
  await admin.getByRole('button', { name: '加入申請書を提出' }).click();
  await expect(admin.locator('[data-test=case-state]')).toHaveText('① 申請審査中');
  // After a refused action the page shows what was posted; the case is opened again by its
  // address rather than by reloading, which would post it once more.
  const caseUrl = admin.url();

  // Submitting planned the schedule: a Gantt chart with the seven steps.
  const schedule = admin.locator('[data-test=schedule]');
  await expect(schedule.locator('[data-test=gantt-step]')).toHaveCount(7);
  await expect(schedule.locator('[data-test=schedule-line]').nth(2)).toContainText('●');
  await expectNoAxeViolations(admin);

  // ---- ATLA accepts; the self-inspection passes and the notice is issued.
  const office = await firstLoginPage(browser, people[1][1], INITIAL, PASSWORD);
  await openFromInbox(office, site);
  await box(office, 'accept_application').getByRole('button', { name: '申請を受理（自己点検へ）' }).click();
  await expect(office.locator('[data-test=case-state]')).toHaveText('② 自己点検中');
  // ATLA's office keeps the checklist's items once for every company; the company's
  // self-inspection opens with them, one line each to answer, the evidence chosen among
  // the files attached to the case.
  await apiCreate(office, '/api/v1/registers/inspection_checklist/rows', {
    organisation: atla,
    data: { item_id: '1', item: '取扱施設等の出入口は施錠され、鍵の管理者が定められている' },
  });
  await admin.goto(caseUrl);
  await attach(admin, '申請全体（項目を指定しない）', '鍵管理簿.pdf', PDF);
  await expect(admin.locator('[data-test=attachments]').or(admin.locator('main')).first()).toContainText('鍵管理簿.pdf');
  const inspection = box(admin, 'submit_self_inspection');
  await expect(inspection.getByLabel('点検事項 1', { exact: true })).toHaveValue(/出入口は施錠/);
  await inspection.getByLabel('確認結果 1', { exact: true }).selectOption('met');
  await inspection.getByLabel('確認した内容 1', { exact: true }).fill('出入口の施錠と鍵の管理者を確認した。');
  await inspection.getByLabel('証跡（添付ファイル） 1', { exact: true }).selectOption('鍵管理簿.pdf');
  await inspection.getByRole('button', { name: '自己点検の結果を提出' }).click();
  await expect(admin.locator('[data-test=case-state]')).toHaveText('② 確認中（確認結果通知待ち）');
  await office.goto(caseUrl);
  const notice = box(office, 'issue_inspection_notice');
  await notice.getByLabel('確認の結果').selectOption('passed');
  await notice.getByLabel('通知日').fill('2027-03-01');
  await notice.getByRole('button', { name: '確認結果通知書を発行' }).click();
  await expect(office.locator('[data-test=case-state]')).toHaveText('③ 現場調査');
  const pdf = await office.request.get(
    (await office.locator('[data-test=document]', { hasText: '確認結果通知書' }).getAttribute('href'))!,
  );
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');

  // ---- ③–⑤ The works contractor records the survey, the line and the router.
  const worker = await firstLoginPage(browser, people[2][1], INITIAL, PASSWORD);
  await openFromInbox(worker, site);
  await box(worker, 'record_survey').getByLabel('調査日').fill('2027-03-02');
  await box(worker, 'record_survey').getByRole('button', { name: '現場調査の結果を記録' }).click();
  await expect(worker.locator('[data-test=case-state]')).toHaveText('④ 回線敷設工事');
  await box(worker, 'record_line_works').getByLabel('工事日').fill('2027-03-03');
  await box(worker, 'record_line_works').getByRole('button', { name: '回線敷設工事の完了を記録' }).click();
  await box(worker, 'install_router').getByLabel('設置日').fill('2027-03-04');
  await box(worker, 'install_router').getByRole('button', { name: '通信ルータ（有線）の設置を記録' }).click();
  await expect(worker.locator('[data-test=case-state]')).toHaveText('⑥ 端末セットアップ・接続確認');

  // ---- ⑥ The company sets its terminals up from the provider's media (one line per
  // terminal of the application); the provider sends the accounts and tests the terminals;
  // the request for the final verification waits until both passed.
  await admin.goto(caseUrl);
  const setup = box(admin, 'record_setup');
  await expect(setup.getByLabel('端末識別名 2', { exact: true })).toHaveValue('PC-02');
  await setup.getByLabel('メディア（DVD-ROM）とセットアップ手順書の受領日').fill('2027-03-05');
  await setup.getByLabel('セットアップ日 1', { exact: true }).fill('2027-03-08');
  await setup.getByLabel('セットアップ日 2', { exact: true }).fill('2027-03-08');
  await setup.getByRole('button', { name: '端末のセットアップを記録' }).click();
  await expect(admin.locator('[data-test=case-history]')).toContainText('端末のセットアップを記録');
  const prov = await firstLoginPage(browser, people[3][1], INITIAL, PASSWORD);
  await openFromInbox(prov, site);
  await box(prov, 'send_accounts').getByLabel('送付日').fill('2027-03-05');
  await box(prov, 'send_accounts').getByRole('button', { name: 'アカウント情報の送付を記録' }).click();
  const tests = box(prov, 'record_connection_tests');
  await tests.getByLabel('端末識別名 1', { exact: true }).fill('PC-01');
  await tests.getByLabel('結果 1', { exact: true }).selectOption('pass');
  await tests.getByLabel('確認日 1', { exact: true }).fill('2027-03-10');
  await tests.getByRole('button', { name: '接続確認の結果を記録' }).click();
  await expect(prov.locator('[data-test=case-history]')).toContainText('接続確認の結果を記録');

  await admin.goto(caseUrl);
  const request = box(admin, 'request_final_verification');
  await request.getByLabel('最終現地確認の希望日').fill('3月下旬の平日');
  await request.getByRole('button', { name: '最終現地確認を依頼' }).click();
  await expect(admin.getByRole('alert')).toContainText('接続確認に合格していない利用端末があります');
  await expect(box(admin, 'request_final_verification').getByLabel('最終現地確認の希望日')).toHaveValue('3月下旬の平日');

  // The provider records PC-02 too: the table opens as recorded, a row is added.
  await prov.goto(caseUrl);
  const again = box(prov, 'record_connection_tests');
  await expect(again.getByLabel('端末識別名 1', { exact: true })).toHaveValue('PC-01');
  await again.getByLabel('端末識別名 2', { exact: true }).fill('PC-02');
  await again.getByLabel('結果 2', { exact: true }).selectOption('pass');
  await again.getByLabel('確認日 2', { exact: true }).fill('2027-03-11');
  await again.getByRole('button', { name: '接続確認の結果を記録' }).click();
  await expect(prov.locator('[data-test=case-history]')).toContainText('接続確認の結果を記録');

  await admin.goto(caseUrl);
  // The unneeded pre-installed software is removed before the request.
  await box(admin, 'record_uninstall').getByLabel('確認・削除の完了日').fill('2027-03-12');
  await box(admin, 'record_uninstall').getByRole('button', { name: '不要なプリインストールソフトウェアの削除を記録' }).click();
  await expect(admin.locator('[data-test=case-history]')).toContainText('不要なプリインストールソフトウェアの削除を記録');
  await box(admin, 'request_final_verification').getByLabel('最終現地確認の希望日').fill('3月下旬の平日');
  await box(admin, 'request_final_verification').getByRole('button', { name: '最終現地確認を依頼' }).click();
  await expect(admin.locator('[data-test=case-state]')).toHaveText('⑦ 最終現地確認の日程調整中');

  // ---- ⑦ ATLA schedules the visit with its checklist (from the self-inspection's items),
  // which goes to the company; records the visit and the site has joined.
  await office.goto(caseUrl);
  await expect(box(office, 'schedule_verification').getByLabel('確認事項 1', { exact: true })).toHaveValue(/出入口は施錠/);
  await box(office, 'schedule_verification').getByLabel('確認日').fill('2027-03-29');
  await box(office, 'schedule_verification').getByRole('button', { name: '最終現地確認の日程を決定' }).click();
  const verify = box(office, 'record_verification');
  // The visit is recorded against the checklist sent, item by item.
  await expect(verify.getByLabel('確認事項 1', { exact: true })).toHaveValue(/出入口は施錠/);
  await verify.getByLabel('結果 1', { exact: true }).selectOption('met');
  await verify.getByLabel('確認の結果').selectOption('passed');
  await verify.getByLabel('通知日').fill('2027-03-31');
  await verify.getByRole('button', { name: '最終現地確認の結果を記録' }).click();
  await expect(office.locator('[data-test=case-state]')).toHaveText('加入完了');
  await admin.goto(caseUrl);
  await expect(admin.locator('[data-test=case-state]')).toHaveText('加入完了');
  const completion = await admin.request.get(
    (await admin.locator('[data-test=document]', { hasText: '加入完了通知書' }).getAttribute('href'))!,
  );
  expect(completion.status()).toBe(200);

  // ---- A software request that needs an online update is refused on submission.
  await admin.goto('/procedures');
  await admin
    .locator('[data-procedure="mod-dsg/software"]')
    .getByRole('link', { name: `${companyName} として申請する` })
    .click();
  const sw = admin.locator('form[data-autosave]');
  await sw.getByLabel('拠点名').fill(site);
  await sw.getByLabel('対象の利用端末（端末識別名）').fill('PC-01');
  await sw.getByLabel('ソフトウェア名').fill('自動更新つき図面ビューア');
  await sw.getByLabel('バージョン').fill('5.2');
  await sw.getByLabel('申請の種類').selectOption('update');
  await sw.getByRole('group', { name: /インターネット接続/ }).getByLabel('はい', { exact: true }).check();
  await sw.getByLabel('必要とする理由').fill('取引先の図面形式に対応するため');
  await admin.getByRole('button', { name: '申請する' }).click();
  await expect(admin.locator('[data-test=case-state]')).toHaveText('不承認（オンラインでのインストール・アップデート）');
});
