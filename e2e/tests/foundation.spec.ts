// The foundation, as an administrator uses it: log in, create an organisation and a
// person, and find both in the audit trail.
import { expect, test } from '@playwright/test';
import { adminCredentials, expectNoAxeViolations, login } from './helpers';

test('an administrator creates an organisation and a person, and sees the audit events', async ({ page }) => {
  const { email, password } = adminCredentials();
  await page.goto('/login');
  await expectNoAxeViolations(page);
  await login(page, email, password);
  await expect(page.getByRole('heading', { name: '受信箱' })).toBeVisible();

  // A new organisation, with a mistake first: what was typed stays.
  const suffix = Date.now().toString().slice(-6);
  const orgName = `甲重工業 ${suffix}`;
  await page.getByRole('link', { name: '組織', exact: true }).first().click();
  await page.getByRole('link', { name: '組織を登録' }).click();
  await page.getByLabel('組織名').fill('あ'.repeat(201));
  await page.getByLabel('種別').selectOption('company');
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('alert')).toContainText('200文字以内');
  await expect(page.getByLabel('組織名')).toHaveValue('あ'.repeat(201));
  await page.getByLabel('組織名').fill(orgName);
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('heading', { level: 1, name: orgName })).toBeVisible();
  // The page also holds the pickers' live counts, which are statuses too.
  await expect(page.getByRole('status').filter({ hasText: '組織を登録しました' })).toBeVisible();
  await expectNoAxeViolations(page);

  // A person in it, who will have to change the initial password.
  await page.getByRole('link', { name: '職員を登録' }).click();
  await page.getByLabel('氏名').fill('山田 花子');
  await page.getByLabel('メールアドレス').fill(`hanako.${suffix}@example.jp`);
  await page.getByLabel('所属組織', { exact: true }).selectOption({ label: orgName });
  await page.getByLabel('初期パスワード').fill('initial-password-1');
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '山田 花子' })).toBeVisible();
  await expect(page.getByText('パスワード変更待ち')).toBeVisible();

  // Both changes are in the audit trail, newest first.
  await page.getByRole('link', { name: '証跡', exact: true }).first().click();
  const rows = page.locator('[data-test=audit] tbody tr');
  await expect(rows.first()).toContainText('person.create');
  await expect(rows.first()).toContainText('山田 花子');
  await expect(page.locator('[data-test=audit]')).toContainText('organisation.create');
  await expect(page.locator('[data-test=audit]')).toContainText(orgName);
  await expectNoAxeViolations(page);

  // The filter narrows the trail without losing the page (htmx swaps only the table).
  await page.getByLabel('操作').selectOption('organisation.');
  await page.getByRole('button', { name: '検索' }).click();
  await expect(rows.first()).toContainText(orgName);
  await expect(page.locator('[data-test=audit]')).not.toContainText('person.create');
});

test('the new person changes the initial password at first login', async ({ page, browser }) => {
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  const personEmail = `jiro.${suffix}@example.jp`;
  // The administrator registers the person through the API with the browser's session.
  await page.goto('/login');
  await login(page, email, password);
  const me = await (await page.request.get('/api/v1/me')).json();
  const created = await page.request.post('/api/v1/persons', {
    data: { name: '鈴木 次郎', email: personEmail, organisation: me.organisation.id, initial_password: 'initial-password-2' },
  });
  expect(created.status()).toBe(201);

  const context = await browser.newContext();
  const jiro = await context.newPage();
  await jiro.goto('/login');
  await login(jiro, personEmail, 'initial-password-2');
  await expect(jiro).toHaveURL(/\/account\/password$/);
  await expect(jiro.getByRole('status')).toContainText('パスワードを変更してください');
  await jiro.getByLabel('現在のパスワード').fill('initial-password-2');
  await jiro.getByLabel('新しいパスワード', { exact: true }).fill('a-much-longer-passphrase');
  await jiro.getByLabel('新しいパスワード（確認）').fill('a-different-passphrase');
  await jiro.getByRole('button', { name: '変更する' }).click();
  await expect(jiro.getByRole('alert')).toContainText('一致しません');
  await jiro.getByLabel('現在のパスワード').fill('initial-password-2');
  await jiro.getByLabel('新しいパスワード', { exact: true }).fill('a-much-longer-passphrase');
  await jiro.getByLabel('新しいパスワード（確認）').fill('a-much-longer-passphrase');
  await jiro.getByRole('button', { name: '変更する' }).click();
  await expect(jiro.getByRole('status')).toContainText('パスワードを変更しました');
  await context.close();
});

test('the login page works on a phone @mobile', async ({ page }) => {
  const { email, password } = adminCredentials();
  await page.goto('/login');
  await expectNoAxeViolations(page);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill('wrong-password');
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('正しくありません');
  await expect(page.getByLabel('メールアドレス')).toHaveValue(email);
  await login(page, email, password);
  await expect(page.getByRole('heading', { name: '受信箱' })).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
});
