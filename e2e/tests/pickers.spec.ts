// Search-as-you-type pickers: on the designation form, typing part of an organisation's
// name (in kana or kanji, or the name of an organisation above it) narrows the list; the
// arrow keys walk what is left, Enter keeps the choice without sending the form, and the
// form is sent with what was chosen. Without JavaScript the plain select still works.
import { expect, test, type Locator } from '@playwright/test';
import { adminCredentials, apiCreate, expectNoAxeViolations, login } from './helpers';

/** The texts of the options a select still shows, its empty choice left out. */
async function shown(select: Locator): Promise<string[]> {
  return select.locator('option:not([hidden])').evaluateAll((opts) =>
    (opts as HTMLOptionElement[]).filter((o) => o.value !== '').map((o) => o.textContent ?? ''),
  );
}

test('typing narrows the organisations, the keyboard chooses, and the form is sent', async ({ page, browser }) => {
  test.slow();
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const agency = await create('/api/v1/organisations', { name: `装備庁 ${suffix}`, kind: 'agency' });
  const office = await create('/api/v1/organisations', { name: `情報システム管理室 ${suffix}`, kind: 'unit', parent: agency });
  await create('/api/v1/organisations', { name: `甲電機 ${suffix}`, kind: 'company' });
  const otsu = await create('/api/v1/organisations', { name: `乙電子 ${suffix}`, kind: 'company' });
  await create('/api/v1/organisations', { name: `ミツバ工業 ${suffix}`, kind: 'company' });
  await create('/api/v1/persons', {
    name: `乙 花子 ${suffix}`,
    email: `hanako.${suffix}@otsu.example.jp`,
    organisation: otsu,
    initial_password: 'initial-pass-1',
  });

  await page.goto('/designations/new');
  const orgs = page.locator('#f-organisation');
  const filter = page.getByRole('searchbox', { name: /組織.*絞り込み/ });
  await expect(filter).toBeVisible();

  // Part of the name: only the organisations made here, then only one of them.
  await filter.fill(suffix);
  expect((await shown(orgs)).sort()).toEqual(
    [`装備庁 ${suffix}`, `情報システム管理室 ${suffix}`, `甲電機 ${suffix}`, `乙電子 ${suffix}`, `ミツバ工業 ${suffix}`].sort(),
  );
  await filter.fill(`乙電子 ${suffix}`);
  expect(await shown(orgs)).toEqual([`乙電子 ${suffix}`]);
  await expect(orgs).toHaveValue(otsu);
  await expect(page.getByRole('status').filter({ hasText: '該当' }).first()).toContainText('1');
  // Hiragana finds katakana; an organisation is found by the one above it.
  await filter.fill(`みつば ${suffix}`);
  expect(await shown(orgs)).toEqual([`ミツバ工業 ${suffix}`]);
  await filter.fill(`装備庁 ${suffix} システム`);
  expect(await shown(orgs)).toEqual([`情報システム管理室 ${suffix}`]);
  await expect(orgs).toHaveValue(office);

  // The arrow keys walk what is shown; Enter keeps the choice and sends nothing.
  await filter.fill(`${suffix} 電`);
  const narrowed = await shown(orgs);
  expect(narrowed.sort()).toEqual([`甲電機 ${suffix}`, `乙電子 ${suffix}`].sort());
  const first = await orgs.locator('option:checked').textContent();
  await filter.press('ArrowDown');
  const second = await orgs.locator('option:checked').textContent();
  expect(second).not.toEqual(first);
  expect(narrowed).toContain(second);
  await filter.press('ArrowUp');
  await expect(orgs.locator('option:checked')).toHaveText(first ?? '');
  if (first !== `乙電子 ${suffix}`) await filter.press('ArrowDown');
  await expect(orgs).toHaveValue(otsu);
  await filter.press('Enter');
  await expect(page).toHaveURL(/\/designations\/new$/);
  await expect(orgs).toBeFocused();

  const people = page.getByRole('searchbox', { name: /職員.*絞り込み/ });
  await people.fill(`花子 ${suffix}`);
  expect(await shown(page.locator('#f-person'))).toEqual([`乙 花子 ${suffix}（乙電子 ${suffix}）`]);
  await page.locator('#f-role').selectOption('incident_reporter');
  await page.locator('#f-starts_on').fill('2026-04-01');
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/shots/picker-after.png', fullPage: true });

  await page.locator('form[action="/designations"]').getByRole('button').click();
  await expect(page).toHaveURL(new RegExp(`/organisations/${otsu}`));
  await expect(page.locator('main')).toContainText(`乙 花子 ${suffix}`);

  // Without JavaScript the select is the whole control, and it is enough.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const bare = await plain.newPage();
  await bare.goto('/login');
  await login(bare, email, password);
  await bare.goto('/designations/new');
  await expect(bare.getByRole('searchbox')).toHaveCount(0);
  await bare.locator('#f-organisation').selectOption(otsu);
  await expect(bare.locator('#f-organisation')).toHaveValue(otsu);
  await plain.close();
});
