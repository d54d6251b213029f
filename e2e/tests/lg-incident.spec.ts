// Seed 004 in the browser: a member of a city's staff opens a suspicious attachment and
// reports it from the home page, with the first response of 6.4(3)⑦; the section's 管理者
// passes it on; the CSIRT judges it against the criteria it wrote beforehand (a criterion it
// never wrote is refused, and what was typed stays), orders containment, and reports to the
// prefecture, MIC and NISC with the printed report; the CISO is told, and the prefecture
// the city reports to counts the incident on its roll-up without reading it.
import { expect, test } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login, tokyoLocalTime } from './helpers';

const PASSWORD = 'a-long-enough-passphrase';
const INITIAL = 'initial-pass-1';

test('a staff report goes through the CSIRT\'s judgement against its own criteria to the report to the prefecture', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const city = await apiCreate(page, '/api/v1/organisations', { name: `青葉市 ${suffix}`, kind: 'local_government' });
  const section = await apiCreate(page, '/api/v1/organisations', { name: `市民課 ${suffix}`, kind: 'department', parent: city });
  const people: Array<[string, string, string, string]> = [
    ['市民課長 四郎', `manager.${suffix}@aoba.example.jp`, section, 'lg_manager'],
    ['職員 五子', `staff.${suffix}@aoba.example.jp`, section, 'lg_staff'],
    ['窓口 七海', `csirt.${suffix}@aoba.example.jp`, city, 'lg_csirt'],
    ['副市長 一郎', `ciso.${suffix}@aoba.example.jp`, city, 'lg_ciso'],
  ];
  await apiPeople(page, people, INITIAL);
  const [manager, staff, csirt, ciso] = await Promise.all(people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)));

  // 5.3 解説 注1: the CSIRT writes its criteria in advance.
  const criterion = `基準2 不正プログラム ${suffix}`;
  await csirt.goto('/registers/incident_criteria');
  const add = csirt.locator('form[data-test=add-row]');
  await add.getByLabel('基準の番号・名称').fill(criterion);
  await add.getByLabel('判断の基準').fill('不正プログラムに感染した、又はそのおそれのある端末がある。');
  await add.getByLabel('判断に応じた対応内容').fill('端末を隔離し、CISO と都道府県に報告する。');
  await add.getByRole('button').click();
  await expect(csirt.getByRole('heading', { level: 1 })).toContainText(criterion);

  // The member of staff reports from the home page, with what they did first.
  const subject = `不審なメールの添付ファイルを開いた ${suffix}`;
  await staff.goto('/');
  await staff.locator('[data-test=quick-starts]').getByRole('link', { name: 'インシデントを報告する' }).click();
  await expect(staff.getByLabel('報告者')).toHaveValue('職員 五子');
  await staff.getByLabel('件名').fill(subject);
  await staff.getByLabel('認知した日時').fill(tokyoLocalTime(-20));
  await staff.getByLabel('認知の経緯').selectOption('staff');
  await staff.getByLabel('事案の状況').fill('取引先を名乗るメールの添付ファイルを開いたところ、画面が一瞬暗くなった。');
  // The checklist of 6.4(3)⑦ is asked once malware is suspected.
  const firstResponse = staff.getByRole('group', { name: /初動対応/ });
  await expect(firstResponse).toBeHidden();
  await staff.getByRole('group', { name: /不正プログラムへの感染/ }).getByLabel('はい', { exact: true }).check();
  await expect(firstResponse).toBeVisible();
  await firstResponse.getByLabel('端末のLANケーブルを取り外した').check();
  await firstResponse.getByLabel('添付ファイルを開かず、本文のURLもクリックしていない').check();
  await expectNoAxeViolations(staff);
  await staff.getByRole('button', { name: '報告する' }).click();
  await expect(staff.locator('[data-test=case-state]')).toHaveText('CSIRTの評価待ち');
  const casePath = new URL(staff.url()).pathname;

  // 5.3(1)②③: the 管理者 finds it in the inbox and passes it on.
  await manager.goto('/');
  await manager.locator('[data-test=inbox]').getByRole('link', { name: subject }).click();
  await manager.locator('form[data-action=escalate]').getByRole('button').click();
  await expect(manager.locator('[data-test=case-history]')).toContainText('統括・システム管理者・CISO・責任者に報告する');

  // 5.3(3)①: the CSIRT judges. A criterion it never wrote is refused, and the assessment
  // typed is kept.
  await csirt.goto(casePath);
  const judge = csirt.locator('form[data-action=judge_incident]');
  const assessment = '添付ファイルはマクロ付きで、端末から外部への通信の記録がある。';
  await judge.getByLabel('該当する判断基準').fill('基準9 思いつき');
  await judge.getByLabel('評価の内容').fill(assessment);
  await judge.getByRole('button', { name: 'インシデントと評価する' }).click();
  await expect(csirt.getByRole('alert')).toContainText('判断基準');
  await expect(csirt.locator('[data-test=case-state]')).toHaveText('CSIRTの評価待ち');
  const again = csirt.locator('form[data-action=judge_incident]');
  await expect(again.getByLabel('評価の内容')).toHaveValue(assessment);
  await again.getByLabel('該当する判断基準').fill(criterion);
  await again.getByRole('button', { name: 'インシデントと評価する' }).click();
  await expect(csirt.locator('[data-test=case-state]')).toHaveText('インシデントとして対処中');

  // ③ containment and recovery ordered; 1(9)⑤ reported to the prefecture, MIC and NISC.
  const contain = csirt.locator('form[data-action=order_containment]');
  await contain.getByLabel('応急措置及び復旧に係る指示').fill('端末をネットワークから切断したまま、ログと現状を保存すること。');
  await contain.getByRole('button').click();
  await expect(csirt.locator('[data-test=case-history]')).toContainText('応急措置・復旧を指示する');
  const outside = csirt.locator('form[data-action=report_outside]');
  await outside.getByLabel('都道府県').check();
  await outside.getByLabel('総務省').check();
  await outside.getByLabel('NISC（内閣サイバーセキュリティセンター）').check();
  await outside.getByLabel('報告した日時').fill(tokyoLocalTime(-1));
  await outside.getByLabel('対応状況').fill('端末を隔離し、ログを解析中。');
  await outside.getByRole('button').click();
  await expect(csirt.locator('[data-test=case-history]')).toContainText('関係機関に報告する');
  await expectNoAxeViolations(csirt);

  // The printed report the prefecture receives (by LGWAN) holds what was reported.
  const report = await csirt.request.get(`/api/v1${casePath}/documents/outside_report_pdf.pdf`);
  expect(report.status()).toBe(200);
  expect(report.headers()['content-type']).toContain('application/pdf');

  // The prefecture the city reports to sees the incident among those reported to it, and
  // nothing of the case itself.
  const pref = await apiCreate(page, '/api/v1/organisations', { name: `若葉県 ${suffix}`, kind: 'local_government' });
  await apiCreate(page, `/api/v1/organisations/${city}/relations`, { kind: 'reports_to', other: pref });
  const prefPeople: Array<[string, string, string, string]> = [['県 職員', `staff.${suffix}@wakaba-pref.example.jp`, pref, 'lg_staff']];
  await apiPeople(page, prefPeople, INITIAL);
  const prefStaff = await firstLoginPage(browser, prefPeople[0][1], INITIAL, PASSWORD);
  await prefStaff.goto(`/organisations/${pref}`);
  await prefStaff.locator('[data-test=rollup-link]').click();
  const line = prefStaff.locator('[data-test=rollup-line]', { hasText: `青葉市 ${suffix}` });
  await expect(line.locator('[data-test=rollup-incidents]')).toContainText('1');
  await expect(prefStaff.locator('main')).not.toContainText(subject);
  await expectNoAxeViolations(prefStaff);
  const denied = await prefStaff.request.get(`/api/v1${casePath}`);
  expect([403, 404]).toContain(denied.status());

  // The CISO was told of the incident and of the report outside.
  await ciso.goto('/');
  await expect(ciso.locator('[data-test=notices]')).toContainText(subject);
  await expectNoAxeViolations(ciso);
});
