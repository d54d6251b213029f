// A new administrator's first home page says where to start. The first administrator hands
// a new ministry to its administrator, who follows the guide's links from the home page —
// an organisation, a person, a designation, a relation — and sees each step become done,
// until the guide folds away. The home page is checked with axe on a desktop and a phone.
//
// The administrator of a new ministry rather than the first administrator follows the
// guide: the other browser tests share the server, and the first administrator's guide
// weighs everything they leave behind, whereas the new ministry's is its own.
import { expect, test, type Page } from '@playwright/test';
import { PHONE, adminCredentials, apiCreate, expectNoAxeViolations, firstLoginPage, login } from './helpers';

const INITIAL = 'initial-pass-1';
const PASSWORD = 'a-long-enough-passphrase';

const STEPS = ['organisations', 'people', 'designations', 'relations'];

/** The step as the guide shows it. */
function step(page: Page, id: string) {
  return page.locator(`[data-test=guide-step-${id}]`);
}

/** Returns to the home page and checks which steps are done. */
async function expectDone(page: Page, done: string[]): Promise<void> {
  await page.goto('/');
  for (const id of STEPS) {
    await expect(step(page, id), id).toHaveAttribute('data-done', done.includes(id) ? 'true' : 'false');
  }
}

test('a new administrator follows the setup guide from the home page until it folds away', async ({ page, browser }) => {
  test.slow();
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const ministryName = `防衛省 ${suffix}`;
  const ministry = await apiCreate(page, '/api/v1/organisations', { name: ministryName, kind: 'ministry' });
  const adminEmail = `admin.${suffix}@mod.example.jp`;
  const admin = await apiCreate(page, '/api/v1/persons', {
    name: '新任 管理者',
    email: adminEmail,
    organisation: ministry,
    initial_password: INITIAL,
  });
  await apiCreate(page, '/api/v1/designations', {
    role: 'administrator',
    organisation: ministry,
    person: admin,
    starts_on: '2020-04-01',
  });

  const me = await firstLoginPage(browser, adminEmail, INITIAL, PASSWORD);
  await me.goto('/');
  const guide = me.locator('[data-test=setup-guide]');
  await expect(guide.getByRole('heading', { name: '初期設定の手順' })).toBeVisible();
  await expect(step(me, 'organisations')).toHaveAttribute('aria-current', 'step');
  await expectDone(me, []);
  await expectNoAxeViolations(me);
  const phone = await (await browser.newContext(PHONE)).newPage();
  await login(phone, adminEmail, PASSWORD);
  await expect(phone.locator('[data-test=setup-guide]')).toContainText('あなたの所属組織のほかに、まだ組織が登録されていません。');
  await expectNoAxeViolations(phone);

  // 1. An organisation under the ministry, from the guide's link.
  await step(me, 'organisations').getByRole('link', { name: '組織を登録する' }).click();
  const agencyName = `防衛装備庁 ${suffix}`;
  await me.getByLabel('組織名').fill(agencyName);
  await me.getByLabel('種別').selectOption('agency');
  await me.getByRole('button', { name: '登録する' }).click();
  await expect(me.getByRole('heading', { level: 1, name: agencyName })).toBeVisible();
  await expectDone(me, ['organisations']);
  await expect(step(me, 'people')).toHaveAttribute('aria-current', 'step');

  // 2. The new agency has nobody: the guide names it and links to the person form for it.
  const people = step(me, 'people');
  await expect(people).toContainText(`${agencyName}には、所属する職員が一人も登録されていません。`);
  await people.getByRole('link', { name: '職員を登録する' }).click();
  await expect(me.locator('#f-organisation')).toHaveValue(/.+/);
  await me.getByLabel('氏名').fill('装備 花子');
  await me.getByLabel('メールアドレス').fill(`hanako.${suffix}@atla.example.jp`);
  await me.getByLabel('初期パスワード').fill('initial-password-3');
  await me.getByRole('button', { name: '登録する' }).click();
  await expect(me.getByRole('heading', { level: 1, name: '装備 花子' })).toBeVisible();
  await expectDone(me, ['organisations', 'people']);

  // 3. Nobody but the administrator holds a role yet.
  const designations = step(me, 'designations');
  await expect(designations).toContainText('あなたのほかに、役割を指定された職員がいません。');
  await designations.getByRole('link', { name: '役割を指定する' }).first().click();
  await me.locator('#f-role').selectOption('auditor');
  await me.locator('#f-organisation').selectOption({ label: agencyName });
  await me.locator('#f-person').selectOption({ label: `装備 花子（${agencyName}）` });
  await me.getByRole('button', { name: '指定する' }).click();
  await expect(me.getByText('指定しました。')).toBeVisible();
  await expectDone(me, ['organisations', 'people', 'designations']);

  // 4. No relation yet: the link opens the ministry's relations, where the agency is chosen.
  await step(me, 'relations').getByRole('link', { name: '関係を登録する' }).click();
  await expect(me.getByRole('heading', { level: 1, name: ministryName })).toBeVisible();
  await me.locator('#f-rel-kind').selectOption('engages');
  await me.locator('#f-rel-other').selectOption({ label: agencyName });
  await me.getByRole('button', { name: '関係を登録' }).click();

  // Everything is set up: a short line, and the steps behind a disclosure.
  await me.goto('/');
  await expect(me.locator('[data-test=guide-complete]')).toHaveText('初期設定は完了しています。');
  await expect(step(me, 'organisations')).toBeHidden();
  await expectNoAxeViolations(me);
  await me.getByText('初期設定の手順をもう一度表示する').click();
  for (const id of STEPS) {
    await expect(step(me, id), id).toHaveAttribute('data-done', 'true');
  }
  await expectNoAxeViolations(me);
  await me.screenshot({ path: 'test-results/shots/admin-home-after.png', fullPage: true });
  await me.context().close();

  // On a phone: the same page, nothing wider than the screen, no axe violations.
  await phone.goto('/');
  await expect(phone.locator('[data-test=guide-complete]')).toBeVisible();
  await expectNoAxeViolations(phone);
  await phone.getByText('初期設定の手順をもう一度表示する').click();
  await expectNoAxeViolations(phone);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await phone.context().close();
});
