// The case form on a phone: a file chosen before anything was saved is attached to the
// draft the choice opens, a row added to a table keeps what is typed in it, and the new
// form and the case page pass the accessibility checks.
import { expect, test } from '@playwright/test';
import { PHONE, adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login } from './helpers';

const INITIAL = 'initial-pass-1';
const PASSWORD = 'a-long-enough-passphrase';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

test('on a phone, a file chosen before saving is attached and an added row is kept', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);

  // A company contracting with ATLA, and its administrator for the gateway (through the API).
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const ministry = await create('/api/v1/organisations', { name: `防衛省 ${suffix}`, kind: 'ministry' });
  const atla = await create('/api/v1/organisations', { name: `防衛装備庁 ${suffix}`, kind: 'agency', parent: ministry });
  const companyName = `乙社 ${suffix}`;
  const company = await create('/api/v1/organisations', { name: companyName, kind: 'company' });
  await create(`/api/v1/organisations/${company}/relations`, { kind: 'contracts_with', other: atla });
  const person = `admin.${suffix}@otsu.example.jp`;
  await apiPeople(page, [['乙 管理者', person, company, 'dsg_administrator']], INITIAL);

  const phone = await firstLoginPage(browser, person, INITIAL, PASSWORD, PHONE);
  await phone.goto('/procedures');
  await phone
    .locator('[data-procedure="mod-dsg/joining"]')
    .getByRole('link', { name: `${companyName} として申請する` })
    .click();
  const form = phone.locator('form[data-autosave]');
  await expectNoAxeViolations(phone);

  // Nothing is saved yet; choosing the file saves the draft and attaches the file to it.
  expect(new URL(phone.url()).pathname).toBe('/cases/new');
  await form.getByLabel(/「契約への従事の実績や見込み等を証する資料（PDF）」に添付するファイル/).setInputFiles({
    name: '実績.pdf',
    mimeType: 'application/pdf',
    buffer: PDF,
  });
  const evidence = form.locator('[data-attached=evidence_contract]');
  await expect(evidence.locator('[data-test=attached]')).toContainText('実績.pdf');
  await expect(phone).toHaveURL(/\/cases\/[0-9a-f-]{36}$/);
  const site = `第三事業所 ${suffix}`;
  await form.getByLabel('拠点名').fill(site);

  // A third terminal: the row is added in place and filled in.
  const terminals = form.getByRole('group', { name: /利用端末/ });
  await form.getByLabel('端末識別名 1', { exact: true }).fill('PC-01');
  await form.getByLabel('端末識別名 2', { exact: true }).fill('PC-02');
  await expect(terminals.locator('tbody tr')).toHaveCount(2);
  await terminals.getByRole('button', { name: '行を追加' }).click();
  await expect(terminals.locator('tbody tr')).toHaveCount(3);
  const third = form.getByLabel('端末識別名 3', { exact: true });
  await expect(third).toBeFocused();
  await third.fill('PC-03');
  await form.getByRole('button', { name: '下書きを保存' }).click();
  await expect(phone.locator('[data-test=case-state]')).toBeVisible();

  // After a reload everything is still there: what was typed, the third row and the file.
  await phone.reload();
  await expect(form.getByLabel('拠点名')).toHaveValue(site);
  await expect(form.getByLabel('端末識別名 1', { exact: true })).toHaveValue('PC-01');
  await expect(form.getByLabel('端末識別名 3', { exact: true })).toHaveValue('PC-03');
  await expect(form.locator('[data-attached=evidence_contract]')).toContainText('実績.pdf');
  await expect(phone.locator('[data-test=case-attachments]')).toContainText('実績.pdf');

  // Withdrawing waits, folded away, at the bottom of the actions; the contents lead there.
  await expect(phone.locator('[data-test=case-toc]').getByRole('link', { name: '経過' })).toHaveAttribute('href', '#history');
  const closing = phone.locator('[data-test=case-closing]');
  await expect(closing.getByRole('button', { name: '取り下げる' })).toBeHidden();
  await closing.locator('summary').click();
  await expect(closing.getByRole('button', { name: '取り下げる' })).toBeVisible();
  await expectNoAxeViolations(phone);
  await phone.screenshot({ path: 'test-results/shots/case-page-after.png', fullPage: true });
});
