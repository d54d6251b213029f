// Seed 004 in the browser: a member of a city's staff asks to take a laptop out, the
// section's 情報セキュリティ管理者 permits it from the inbox, and the take-out record shows
// it; the manager's own request cannot be permitted by the manager (1(8), 兼務の禁止).
import { expect, test } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login, tokyoLocalTime, whileDaysLater } from './helpers';

const PASSWORD = 'a-long-enough-passphrase';
const INITIAL = 'initial-pass-1';

test('a laptop is taken out with the manager\'s permission, and the manager cannot permit their own', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const city = await apiCreate(page, '/api/v1/organisations', { name: `青葉市 ${suffix}`, kind: 'local_government' });
  const sectionName = `総務課 ${suffix}`;
  const section = await apiCreate(page, '/api/v1/organisations', { name: sectionName, kind: 'department', parent: city });
  const people: Array<[string, string, string, string]> = [
    ['総務課長 四郎', `manager.${suffix}@aoba.example.jp`, section, 'lg_manager'],
    ['職員 五子', `staff.${suffix}@aoba.example.jp`, section, 'lg_staff'],
  ];
  await apiPeople(page, people, INITIAL);
  // The manager is a member of staff too.
  const managerId = (await (await page.request.get(`/api/v1/persons?q=${encodeURIComponent(people[0][1])}`)).json()).items[0].id;
  await apiCreate(page, '/api/v1/designations', { role: 'lg_staff', organisation: section, person: managerId, starts_on: '2020-04-01' });
  const [manager, staff] = await Promise.all(people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)));

  const ask = async (p: typeof staff, item: string) => {
    await p.goto('/procedures');
    await p.locator('section[data-procedure="mic-lg-security/take_out"]').getByRole('link', { name: `${sectionName} として申請する` }).click();
    await expect(p.getByLabel('所属課室名')).toHaveValue(sectionName);
    await p.getByLabel('持ち出すもの').selectOption('mobile');
    await p.getByLabel('持出物').fill(item);
    await p.getByLabel('個数').fill('1');
    await p.getByLabel('用途').fill('出張先での会議資料の説明');
    await p.getByLabel('持出の場所').fill('県庁');
    await p.getByLabel('持ち出す日時').fill(tokyoLocalTime(60));
    await p.getByLabel('返却日').fill(tokyoLocalTime(60 * 24 * 3).slice(0, 10));
    await p.getByRole('button', { name: '申請する' }).click();
    await expect(p.locator('[data-test=case-state]')).toHaveText('許可待ち');
  };

  // The staff member asks; the manager permits from the inbox.
  const laptop = `ノートパソコン KT-${suffix}`;
  await ask(staff, laptop);
  await expectNoAxeViolations(staff);
  await manager.goto('/');
  await manager.locator('[data-test=inbox]').getByRole('link', { name: laptop }).click();
  await manager.locator('form[data-action=permit]').getByRole('button', { name: '許可する' }).click();
  await expect(manager.locator('[data-test=case-state]')).toHaveText('持ち出し中');
  await expectNoAxeViolations(manager);

  // The take-out record holds it, its return day owed.
  await manager.goto('/registers/take_out_book');
  const book = manager.locator('[data-test=register]');
  await expect(book).toContainText(laptop);
  await expectNoAxeViolations(manager);

  // The manager's own take-out: the page says the manager may not permit it.
  const own = `タブレット TB-${suffix}`;
  await ask(manager, own);
  const permit = manager.locator('form[data-action=permit]');
  await expect(permit).toContainText('兼務の禁止');
  await permit.getByRole('button', { name: '許可する' }).click();
  await expect(manager.getByRole('alert')).toBeVisible();
  await expect(manager.locator('[data-test=case-state]')).toHaveText('許可待ち');
});

test('a laptop holding C2 data is registered, taken out with permission, reminded of, overdue, and its return confirmed by the manager', async ({ page, browser }) => {
  test.setTimeout(150_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const city = await apiCreate(page, '/api/v1/organisations', { name: `青葉市 ${suffix}`, kind: 'local_government' });
  const sectionName = `税務課 ${suffix}`;
  const section = await apiCreate(page, '/api/v1/organisations', { name: sectionName, kind: 'department', parent: city });
  const people: Array<[string, string, string, string]> = [
    ['税務課長 六郎', `manager.${suffix}@aoba.example.jp`, section, 'lg_manager'],
    ['職員 七子', `staff.${suffix}@aoba.example.jp`, section, 'lg_staff'],
  ];
  await apiPeople(page, people, INITIAL);
  let [manager, staff] = await Promise.all(people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)));

  // 2(2)①: the manager enters the laptop in the asset ledger as holding C2 information.
  const laptop = `ノートパソコン KT-${suffix}`;
  await manager.goto('/registers/information_assets');
  const add = manager.locator('form[data-test=add-row]');
  await add.getByLabel('情報資産の名称').fill(laptop);
  await add.getByLabel('種類').selectOption('system');
  await add.getByLabel('所在（保管場所）').fill('税務課 施錠キャビネット');
  await add.getByLabel('領域').selectOption('lgwan');
  await add.getByLabel('機密性').selectOption('c2');
  await add.getByRole('button').click();
  // The row's page shows it with its class.
  await expect(manager.getByRole('heading', { level: 1 })).toContainText(laptop);
  await expect(manager.locator('main')).toContainText('機密性2');

  // The staff member asks to take it out today, classing the request as the laptop is.
  await staff.goto('/procedures');
  await staff.locator('section[data-procedure="mic-lg-security/take_out"]').getByRole('link', { name: `${sectionName} として申請する` }).click();
  await staff.getByLabel('機密性').selectOption('c2');
  await staff.getByLabel('持ち出すもの').selectOption('mobile');
  await staff.getByLabel('持出物').fill(laptop);
  await staff.getByLabel('個数').fill('1');
  await staff.getByLabel('用途').fill('固定資産税の現地調査');
  await staff.getByLabel('持出の場所').fill('市内各地区');
  const takenAt = tokyoLocalTime(30);
  await staff.getByLabel('持ち出す日時').fill(takenAt);
  const today = tokyoLocalTime().slice(0, 10);
  await staff.getByLabel('返却日').fill(today);
  await staff.getByRole('button', { name: '申請する' }).click();
  await expect(staff.locator('[data-test=case-state]')).toHaveText('許可待ち');
  const casePath = new URL(staff.url()).pathname;

  // The manager permits it.
  await manager.goto(casePath);
  await manager.locator('form[data-action=permit]').getByRole('button', { name: '許可する' }).click();
  await expect(manager.locator('[data-test=case-state]')).toHaveText('持ち出し中');

  // It is due back today: the borrower is reminded on the home page, with the case.
  const near = `持ち出し記録簿「${laptop} ／ ${takenAt} ／ 職員 七子」: 返却日（${today}）が近づいています`;
  await expect(async () => {
    await staff.goto('/');
    await expect(staff.locator('[data-test=notices]')).toContainText(near, { timeout: 1_000 });
  }).toPass({ timeout: 40_000 });
  await expect(staff.locator('[data-test=notices]').getByRole('link', { name: near })).toHaveAttribute('href', casePath);
  await expectNoAxeViolations(staff);

  // Three days on it has not come back: the borrower and the manager are told it is overdue.
  const late = `持ち出し記録簿「${laptop} ／ ${takenAt} ／ 職員 七子」: 返却日（${today}）を過ぎました`;
  await whileDaysLater(3, async () => {
    // Signs in each time: the later server ends sessions idle for days as soon as it starts.
    const signIn = await staff.request.post('/api/v1/session', { data: { email: people[1][1], password: PASSWORD } });
    if (!signIn.ok()) return false;
    const res = await staff.request.get('/api/v1/notifications');
    if (!res.ok()) return false;
    return (await res.json()).some((n: { subject: string }) => n.subject === late);
  });
  // The later server ended the sessions it found idle for days: both sign in again.
  [manager, staff] = await Promise.all(people.map(async ([, mail]) => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto('/login');
    await login(p, mail, PASSWORD);
    return p;
  }));
  await staff.goto('/');
  await expect(staff.locator('[data-test=notices]')).toContainText(late);
  await manager.goto('/');
  await expect(manager.locator('[data-test=notices]')).toContainText(late);

  // The laptop is handed back: only the manager confirms the return, which completes the record.
  await staff.goto(casePath);
  await expect(staff.locator('form[data-action=confirm_return]')).toHaveCount(0);
  await manager.goto(casePath);
  await manager.locator('form[data-action=confirm_return]').getByRole('button', { name: '返却を確認する' }).click();
  await expect(manager.locator('[data-test=case-state]')).toHaveText('返却確認済み');
  await manager.goto('/registers/take_out_book');
  const row = manager.locator('[data-test=register] tr', { hasText: laptop });
  await expect(row).toContainText('税務課長 六郎');
  await expect(row).toContainText(today);
  await expectNoAxeViolations(manager);
});

test('the CISO finds the take-out clause in the responsibility matrix and corrects a row for the city', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const cityName = `若葉市 ${suffix}`;
  const city = await apiCreate(page, '/api/v1/organisations', { name: cityName, kind: 'local_government' });
  const people: Array<[string, string, string, string]> = [
    ['副市長 一郎', `ciso.${suffix}@wakaba.example.jp`, city, 'lg_ciso'],
  ];
  await apiPeople(page, people, INITIAL);
  const [ciso] = await Promise.all(people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)));

  // From the take-out procedure to its clause: who permits, and what the text printed.
  // Staff ask to take things out, so for the CISO the procedure is among the others.
  await ciso.goto('/procedures');
  await ciso.locator('[data-test=procedures-others] summary').click();
  await ciso.locator('[data-procedure="mic-lg-security/take_out"] [data-test=procedure-matrix-row]').click();
  await expect(ciso.locator('[data-test=row-id]')).toHaveText('5.1(1)③(イ)');
  await expect(ciso.locator('[data-test=row-cells] tr[data-column=manager]')).toContainText('許');
  await expect(ciso.locator('[data-test=row-procedures]')).toContainText('端末・媒体等の持ち出し');
  await expectNoAxeViolations(ciso);

  // What the 管理者 permits, across the whole table.
  await ciso.goto('/matrices/mic-lg-security/responsibilities');
  await ciso.getByLabel('役割（列）').selectOption('manager');
  await ciso.getByLabel('記号').selectOption('許');
  await ciso.getByRole('button', { name: '検索' }).click();
  await expect(ciso.locator('[data-test=matrix] tbody tr[data-row="2(2)⑩(ウ)"]')).toBeVisible();
  await expect(ciso.locator('[data-test=matrix] tbody tr[data-row="6.1(17)②"]')).toHaveCount(0);
  await expectNoAxeViolations(ciso);

  // The city corrects 7.4(1): a missing reason is asked for, and the choice is kept.
  await ciso.goto(`/matrices/mic-lg-security/responsibilities/rows/7.4(1)?organisation=${city}`);
  const form = ciso.locator('[data-test=correct-row]');
  await form.getByLabel('情報システム管理者').selectOption('○');
  await form.getByRole('button', { name: '修正を記録する' }).click();
  await expect(ciso.getByRole('alert')).toContainText('改める理由');
  await expect(form.getByLabel('情報システム管理者')).toHaveValue('○');
  await expectNoAxeViolations(ciso);
  await form.getByLabel('改める理由').fill('情報システム管理者も例外措置を申請する');
  await form.getByRole('button', { name: '修正を記録する' }).click();
  await expect(ciso.getByText('割当ての修正を記録しました。')).toBeVisible();
  await expect(ciso.locator('[data-test=row-cells] tr[data-column=system_manager] td').nth(1)).toHaveText('○');
  await expect(ciso.locator('[data-test=row-history]')).toContainText('副市長 一郎');
  await expectNoAxeViolations(ciso);
});
