// Sign-in with the office's directory, in a real browser against a real OpenID provider
// (panva's oidc-provider, e2e/oidc/provider.mjs), which scripts/e2e.sh starts beside the
// server and names to it with --oidc-issuer. Its development sign-in page takes any
// password; the login typed there is the directory account (see provider.mjs).
import { expect, test } from '@playwright/test';
import { adminCredentials, apiCreate, login } from './helpers';

const suffix = Date.now().toString(36);
const staffEmail = `dir-${suffix}@example.jp`;

test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage();
  const admin = adminCredentials();
  await login(page, admin.email, admin.password);
  const ministry = await apiCreate(page, '/api/v1/organisations', { name: `ディレクトリ省 ${suffix}`, kind: 'ministry' });
  // Added with an initial password, as staff are: the directory sign-in needs none.
  await apiCreate(page, '/api/v1/persons', {
    name: `組織 太郎 ${suffix}`,
    email: staffEmail,
    organisation: ministry,
    initial_password: 'initial-pass-1',
  });
  await page.close();
});

async function signInAtDirectory(page: import('@playwright/test').Page, account: string): Promise<void> {
  await page.goto('/login');
  await page.getByRole('link', { name: '組織のアカウントでログイン' }).click();
  // The provider's own page, on its own port.
  await expect(page).toHaveURL(/\/interaction\//);
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('directory password');
  await page.locator('button[type="submit"]').click();
}

test('a member of staff signs in with the directory and lands in mamori as themselves', async ({ page }) => {
  await signInAtDirectory(page, staffEmail);
  await expect(page).toHaveURL((url) => url.pathname === '/');
  const me = await page.request.get('/api/v1/me');
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(staffEmail);
  // No forced password change: the local initial password was not used.
  await expect(page.getByRole('heading', { level: 1 })).not.toHaveText(/パスワード/);
});

test('an account unknown to mamori is refused with a message', async ({ page }) => {
  await signInAtDirectory(page, `stranger-${suffix}@example.jp`);
  await expect(page).toHaveURL(/\/login\/oidc\/callback/);
  await expect(page.getByRole('alert')).toContainText('この組織のアカウントは mamori に登録されていません');
  // The page still offers both ways in.
  await expect(page.getByRole('link', { name: '組織のアカウントでログイン' })).toBeVisible();
  await expect(page.getByLabel('パスワード', { exact: true })).toBeVisible();
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
});
