// Designations across organisations in the browser: the organisation's page and the
// holder's page both mark a role held outside one's own organisation, a refused end date is
// shown beside its field, and the procedures page folds away what the reader cannot start.
// Each page is checked with axe on a desktop and on a phone.
import { expect, test, type Page } from '@playwright/test';
import { PHONE, adminCredentials, apiCreate, expectNoAxeViolations, firstLoginPage, login } from './helpers';

const INITIAL = 'initial-pass-1';
const PASSWORD = 'a-long-enough-passphrase';

test('cross-organisation designations are marked on both sides, and procedures fold away', async ({ page, browser }) => {
  test.slow();
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const agencyName = `防衛装備庁 ${suffix}`;
  const companyName = `丙電子株式会社 ${suffix}`;
  const agency = await create('/api/v1/organisations', { name: agencyName, kind: 'agency' });
  const company = await create('/api/v1/organisations', { name: companyName, kind: 'company' });
  const workerEmail = `worker.${suffix}@hei.example.jp`;
  const worker = await create('/api/v1/persons', {
    name: '丙 社員',
    email: workerEmail,
    organisation: company,
    initial_password: INITIAL,
  });
  await create('/api/v1/designations', { role: 'incident_reporter', organisation: company, person: worker, starts_on: '2020-04-01' });
  const outside = await create('/api/v1/designations', {
    role: 'emergency_contact',
    organisation: agency,
    person: worker,
    starts_on: '2099-01-01',
    from_another_organisation: true,
  });

  const visitAll = async (admin: Page, reader: Page) => {
    await admin.goto(`/organisations/${agency}`);
    await expect(admin.locator('[data-test=designations]')).toContainText(`${companyName}の所属者です`);
    await expect(admin.locator('[data-test=designation-outside]')).toContainText('他組織からの指定');
    await expectNoAxeViolations(admin);

    // An end before the start is refused beside that designation's field, the day kept.
    const end = admin.locator(`form[action="/designations/${outside}/end"]`);
    await end.locator('input[name=ends_on]').fill('2098-12-31');
    await end.getByRole('button').click();
    await expect(admin.locator(`#e-end-${outside}`)).toContainText('終了日は開始日以降の日付にしてください。');
    await expect(admin.locator(`#f-end-${outside}`)).toHaveValue('2098-12-31');
    await expectNoAxeViolations(admin);

    await admin.goto(`/persons/${worker}`);
    await expect(admin.locator('[data-test=designation-outside]')).toContainText('所属外の役割');
    await expectNoAxeViolations(admin);

    await reader.goto('/procedures');
    await expect(reader.locator('[data-test=procedures-startable]')).toContainText('事故等の速報');
    const others = reader.locator('[data-test=procedures-others]');
    await others.locator('summary').click();
    await expect(others).toContainText('外部サービスの利用承認');
    await expectNoAxeViolations(reader);
  };

  const reader = await firstLoginPage(browser, workerEmail, INITIAL, PASSWORD);
  await visitAll(page, reader);

  // The same pages on a phone.
  const phoneAdmin = await (await browser.newContext(PHONE)).newPage();
  await login(phoneAdmin, email, password);
  const phoneReader = await (await browser.newContext(PHONE)).newPage();
  await login(phoneReader, workerEmail, PASSWORD);
  await visitAll(phoneAdmin, phoneReader);
});
