// Seed 004's self-check in the browser: a section's 情報セキュリティ管理者 starts the
// questionnaire read from the responsibility matrix for their role only, sees only the
// clauses the 管理者 holds, and answers one as not met, which the results count.
import { expect, test } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login } from './helpers';

const PASSWORD = 'a-long-enough-passphrase';
const INITIAL = 'initial-pass-1';

test('a manager answers the self-check of their own role, read from the responsibility matrix', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const city = await apiCreate(page, '/api/v1/organisations', { name: `青葉市 ${suffix}`, kind: 'local_government' });
  const section = await apiCreate(page, '/api/v1/organisations', { name: `総務課 ${suffix}`, kind: 'department', parent: city });
  const people: Array<[string, string, string, string]> = [
    ['総務課長 四郎', `manager.${suffix}@aoba.example.jp`, section, 'lg_manager'],
  ];
  await apiPeople(page, people, INITIAL);
  const [manager] = await Promise.all(people.map(([, mail]) => firstLoginPage(browser, mail, INITIAL, PASSWORD)));

  await manager.goto('/assessments');
  const start = manager.locator('form[data-test=start-assessment]:has(input[value="mic-lg-security/lg_self_check"])');
  await start.getByLabel('件名').fill(`令和8年度 自己点検（管理者）${suffix}`);
  await start.getByLabel('情報セキュリティ管理者', { exact: true }).check();
  await expectNoAxeViolations(manager);
  await start.getByRole('button', { name: '点検を始める' }).click();
  await expect(manager.getByText('点検を始めました')).toBeVisible();

  // Only the 管理者's clauses are listed: each row is one the 管理者 holds.
  const rows = manager.locator('form[data-test=answers] tbody tr');
  await expect(rows.first()).toHaveAttribute('data-requirement', /:manager$/);
  await expect(manager.locator('tbody tr[data-requirement$=":staff"]')).toHaveCount(0);
  await expect(manager.locator('tbody tr[data-requirement$=":ciso"]')).toHaveCount(0);
  await expectNoAxeViolations(manager);

  // The first is answered as not met, with what was found; the results count it.
  const first = rows.first();
  await first.getByLabel('いいえ', { exact: true }).check();
  await first.getByRole('textbox').fill('口頭の許可で済ませている例がある');
  await manager.getByRole('button', { name: 'このページの回答を保存する' }).click();
  await expect(manager.getByText('回答を保存しました。')).toBeVisible();
  await expect(manager.locator('[data-test=assessment-results]')).toContainText('不適合 1 件');
  await expect(manager.locator('form[data-test=answers] tbody tr').first().getByRole('textbox')).toHaveValue('口頭の許可で済ませている例がある');
});
