// The audit trail as an auditor (監査担当者) reads it: each event a Japanese sentence with
// names, the raw record one click away, the operation chosen by its Japanese name.
import { expect, test } from '@playwright/test';
import { adminCredentials, expectNoAxeViolations, login } from './helpers';

test('an auditor reads the trail as sentences, opens a raw record and filters by operation', async ({ page, browser }) => {
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  const auditorName = `監査 花子${suffix}`;
  const auditorEmail = `kansa.${suffix}@example.jp`;

  // The administrator registers the auditor and designates them for their organisation.
  await page.goto('/login');
  await login(page, email, password);
  const me = await (await page.request.get('/api/v1/me')).json();
  const created = await page.request.post('/api/v1/persons', {
    data: { name: auditorName, email: auditorEmail, organisation: me.organisation.id, initial_password: 'initial-password-3' },
  });
  expect(created.status()).toBe(201);
  const person = (await created.json()).id;
  const designated = await page.request.post('/api/v1/designations', {
    data: { role: 'auditor', organisation: me.organisation.id, person, starts_on: '2020-01-01' },
  });
  expect(designated.status()).toBe(201);

  // The auditor signs in for the first time and sets a password.
  const context = await browser.newContext();
  const auditor = await context.newPage();
  await auditor.goto('/login');
  await login(auditor, auditorEmail, 'initial-password-3');
  await auditor.getByLabel('現在のパスワード').fill('initial-password-3');
  await auditor.getByLabel('新しいパスワード', { exact: true }).fill('an-auditors-long-passphrase');
  await auditor.getByLabel('新しいパスワード（確認）').fill('an-auditors-long-passphrase');
  await auditor.getByRole('button', { name: '変更する' }).click();
  await expect(auditor.getByRole('status')).toContainText('パスワードを変更しました');

  // 証跡: the designation reads as a sentence naming the person and the role.
  await auditor.getByRole('link', { name: '証跡', exact: true }).first().click();
  await expect(auditor.getByRole('heading', { level: 1, name: '証跡' })).toBeVisible();
  const designation = auditor
    .locator('[data-test=audit-event]')
    .filter({ has: auditor.locator('[data-test=audit-sentence]', { hasText: `「${auditorName}」を` }) })
    .filter({ hasText: '監査担当者に指定しました' });
  await expect(designation).toHaveCount(1);
  const sentence = designation.locator('[data-test=audit-sentence]');
  await expect(sentence).toContainText(`${me.name}が「${auditorName}」を`);
  await expect(sentence).not.toContainText(person);

  // The raw record is one click away, with the operation code and the ids.
  const raw = designation.locator('[data-test=audit-raw]');
  await expect(raw.getByText('designation.create')).toBeHidden();
  await raw.getByText('元の記録を表示').click();
  await expect(raw.getByText('designation.create')).toBeVisible();
  await expect(raw).toContainText(person);
  await expectNoAxeViolations(auditor);

  // The operation is chosen by its Japanese name; the trail narrows and the choice stays.
  await auditor.getByLabel('操作').selectOption({ label: '指定' });
  await auditor.getByRole('button', { name: '検索' }).click();
  await expect(auditor).toHaveURL(/action=designation\.create/);
  const sentences = auditor.locator('[data-test=audit-sentence]');
  await expect(sentences.first()).toContainText('に指定しました');
  await expect(auditor.locator('[data-test=audit]')).not.toContainText('を登録しました');
  await expect(auditor.getByLabel('操作')).toHaveValue('designation.create');
  await expectNoAxeViolations(auditor);
  await auditor.screenshot({ path: 'test-results/shots/auditor-after.png', fullPage: true });
  await context.close();
});
