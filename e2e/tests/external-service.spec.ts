// Seed 002 in the browser: an officer applies to use a generative-AI service, the chief
// finds it in the inbox, asks NISC, records its advice and the report to the AI strategy
// team, and approves; for a second application for the same service the chief skips the
// NISC step, citing the advice the registry holds. The approved unit designates its manager.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, login } from './helpers';

const PASSWORD = 'a-long-enough-passphrase';

/** A logged-in page for a person registered with an initial password. */
async function personPage(browser: Browser, email: string, initial: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  const first = await page.request.post('/api/v1/session', { data: { email, password: initial } });
  expect(first.status()).toBe(403); // the initial password must be changed first
  const changed = await page.request.post('/api/v1/me/password', { data: { current: initial, new: PASSWORD } });
  expect(changed.status()).toBe(204);
  return page;
}

async function apply(page: Page, unit: string, service: string, information = 'no_business_data'): Promise<void> {
  await page.goto('/procedures');
  await page.getByRole('link', { name: `${unit} として申請する` }).click();
  await page.getByLabel('外部サービスの名称').fill(service);
  await page.getByLabel('提供者').fill('OpenAI');
  await page.getByLabel('外部サービスの種類').selectOption('generative_ai');
  await page.getByLabel('利用目的').fill('公開資料の要約と翻訳の下書き');
  await page.getByLabel('利用者の範囲').fill('広報担当 3名');
  await page.getByRole('group', { name: /インストール/ }).getByLabel('いいえ').check();
  await page.getByRole('group', { name: /生成AIサービスを含むか/ }).getByLabel('はい').check();
  await page.getByLabel('取り扱う情報の区分').selectOption(information);
  await page.getByRole('button', { name: '申請する' }).click();
}

test('a generative-AI service is applied for, advised on, reported and approved; the chief skips NISC for the next one', async ({ page, browser }) => {
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);
  const service = `生成AIチャット ${suffix}`;

  // The administrator sets up a ministry, two units and the three people (through the API).
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const ministry = await create('/api/v1/organisations', { name: `防衛省 ${suffix}`, kind: 'ministry' });
  const unitName = `広報室 ${suffix}`;
  const otherName = `報道室 ${suffix}`;
  const unit = await create('/api/v1/organisations', { name: unitName, kind: 'unit', parent: ministry });
  const other = await create('/api/v1/organisations', { name: otherName, kind: 'unit', parent: ministry });
  const people: Array<[string, string, string, string]> = [
    ['申請 一郎', `officer.${suffix}@mod.example.jp`, unit, 'ia_officer'],
    ['報道 二郎', `other.${suffix}@mod.example.jp`, other, 'ia_officer'],
    ['統括 三郎', `chief.${suffix}@mod.example.jp`, ministry, 'chief_ia_officer'],
  ];
  await apiPeople(page, people, 'initial-pass-1');

  // The officer applies for business data and without the confirmation: the notice's rule
  // refuses it, and nothing typed is lost.
  const officer = await personPage(browser, people[0][1], 'initial-pass-1');
  await apply(officer, unitName, service, 'business_data');
  await expect(officer.getByRole('alert')).toContainText('業務用データ');
  await expect(officer.getByLabel('外部サービスの名称')).toHaveValue(service);
  await expectNoAxeViolations(officer);
  await officer.getByRole('group', { name: /業務用データ（不開示情報を含むデータ）を取り扱わない/ }).getByLabel('はい').check();
  await officer.getByRole('button', { name: '申請する' }).click();
  await expect(officer.getByRole('alert')).toContainText('業務用データを取り扱うことはできない');
  await expect(officer.getByLabel('取り扱う情報の区分')).toHaveValue('business_data');
  await officer.getByLabel('取り扱う情報の区分').selectOption('no_business_data');
  await officer.getByRole('button', { name: '申請する' }).click();
  await expect(officer.locator('[data-test=case-state]')).toHaveText('NISC照会の判断待ち');
  const casePath = new URL(officer.url()).pathname;

  // The chief finds it in the inbox, asks NISC and records its advice.
  const chief = await personPage(browser, people[2][1], 'initial-pass-1');
  await chief.goto('/');
  await chief.locator('[data-test=inbox]').getByRole('link', { name: service }).click();
  await expectNoAxeViolations(chief);
  await expect(chief.locator('form[data-action=skip_nisc]')).toContainText('NISCの助言が記録されていない');
  await chief.locator('form[data-action=ask_nisc]').getByRole('button', { name: 'NISCに助言を求める' }).click();
  await expect(chief.locator('[data-test=case-state]')).toHaveText('NISC助言待ち');
  const advice = chief.locator('form[data-action=record_nisc_advice]');
  await advice.getByLabel('助言を受けた日').fill('2026-11-20');
  await advice.getByLabel('助言の内容').fill('利用可。業務用データを入力しないこと。');
  await advice.getByRole('button', { name: 'NISCの助言を記録' }).click();
  await expect(chief.locator('[data-test=case-state]')).toHaveText('審査中');

  // NISC's written advice goes with the case; a file whose content is not what its name
  // says is refused with the reason.
  const file = chief.getByLabel('ファイルを添付');
  await file.setInputFiles({ name: 'NISC助言.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ not a pdf') });
  await chief.getByRole('button', { name: '添付する' }).click();
  await expect(chief.locator('[data-test=attach-form]')).toContainText('ファイルの中身が拡張子と一致しません');
  await chief.getByLabel('ファイルを添付').setInputFiles({ name: 'NISC助言.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n%%EOF\n') });
  await chief.getByRole('button', { name: '添付する' }).click();
  await expect(chief.getByRole('status')).toContainText('ファイルを添付しました');
  await expect(chief.locator('[data-test=case-attachments]')).toContainText('NISC助言.pdf');
  await expectNoAxeViolations(chief);

  // Approval waits for the report to the AI strategy team.
  const approve = chief.locator('form[data-action=approve]');
  await expect(approve).toContainText('AI戦略チームへの報告を記録してください');
  await approve.getByRole('button', { name: '承認する' }).click();
  await expect(chief.getByRole('alert')).toContainText('AI戦略チーム');
  const report = chief.locator('form[data-action=report_to_ai_team]');
  await report.getByLabel('報告日').fill('2026-11-21');
  await report.getByLabel('報告先').fill('AI戦略チーム事務局');
  await report.getByRole('button', { name: 'AI戦略チームへの報告を記録' }).click();
  await chief.locator('form[data-action=approve]').getByLabel('コメント').fill('承認する。利用状況を四半期ごとに報告すること。');
  await chief.locator('form[data-action=approve]').getByRole('button', { name: '承認する' }).click();
  await expect(chief.locator('[data-test=case-state]')).toHaveText('承認');
  await expect(chief.locator('[data-test=case-history]')).toContainText('NISCの助言を記録');
  await expect(chief.locator('[data-test=case-history]')).toContainText('承認する');

  // The applicant is told on the home page.
  await officer.goto('/');
  await expect(officer.locator('[data-test=notices]')).toContainText(`${service}: 「承認する」が行われ、「承認」になりました。`);
  await expectNoAxeViolations(officer);

  // The officer designates the unit's external-service manager: a mistyped address is
  // refused on its cell with the row kept; the manager then holds the role in the unit.
  const managerEmail = `manager.${suffix}@mod.example.jp`;
  await create('/api/v1/persons', { name: '管理 四郎', email: managerEmail, organisation: unit, initial_password: 'initial-pass-1' });
  await officer.goto(casePath);
  const designate = officer.locator('form[data-action=designate_managers]');
  await designate.getByLabel('単位（組織名） 1').fill(unitName);
  await designate.getByLabel('外部サービス管理者（メールアドレス） 1').fill(`manger.${suffix}@mod.example.jp`);
  await designate.getByRole('button', { name: '外部サービス管理者を指定する' }).click();
  await expect(officer.locator('form[data-action=designate_managers]')).toContainText('見つかりません');
  await expect(officer.locator('form[data-action=designate_managers]').getByLabel('単位（組織名） 1')).toHaveValue(unitName);
  await officer.locator('form[data-action=designate_managers]').getByLabel('外部サービス管理者（メールアドレス） 1').fill(managerEmail);
  await officer.locator('form[data-action=designate_managers]').getByRole('button', { name: '外部サービス管理者を指定する' }).click();
  await expect(officer.locator('[data-test=case-state]')).toHaveText('管理者指定済み');
  await expectNoAxeViolations(officer);
  const manager = await personPage(browser, managerEmail, 'initial-pass-1');
  const me = await (await manager.request.get('/api/v1/me')).json();
  expect(me.roles.map((r: { role: string }) => r.role)).toContain('external_service_manager');

  // The registry keeps the advice, which the chief may cite for the other unit's application.
  await chief.goto('/registers/external_services');
  await expect(chief.locator('[data-test=register]')).toContainText(service);
  await expectNoAxeViolations(chief);
  // The chief corrects the row by hand; the history keeps the reason.
  await chief.locator('[data-test=register]').getByRole('link', { name: service }).click();
  const edit = chief.locator('[data-test=edit-row]');
  await edit.getByLabel('NISCの助言').fill('利用可。業務用データを入力しないこと。ログを月次で確認すること。');
  await edit.getByLabel('理由').fill('NISCから追加の助言');
  await edit.getByRole('button', { name: '訂正を保存' }).click();
  await expect(chief.getByRole('status')).toContainText('訂正を保存しました');
  await expect(chief.locator('[data-test=row-history]')).toContainText('NISCから追加の助言');
  await expectNoAxeViolations(chief);

  // The chief finds the case again by a phrase of its purpose, with the search kept.
  await chief.goto('/cases');
  await chief.getByLabel('件名・内容').fill('要約と翻訳');
  await chief.getByRole('button', { name: '検索' }).click();
  await expect(chief.locator('[data-test=cases]')).toContainText(service);
  await expect(chief.getByLabel('件名・内容')).toHaveValue('要約と翻訳');
  await expectNoAxeViolations(chief);
  const otherOfficer = await personPage(browser, people[1][1], 'initial-pass-1');
  await apply(otherOfficer, otherName, service);
  await otherOfficer.getByRole('group', { name: /業務用データ/ }).getByLabel('はい').check();
  await otherOfficer.getByRole('button', { name: '申請する' }).click();
  await expect(otherOfficer.locator('[data-test=case-state]')).toHaveText('NISC照会の判断待ち');
  const url = otherOfficer.url().replace(/\?.*$/, '');
  await chief.goto(new URL(url).pathname);
  const skip = chief.locator('form[data-action=skip_nisc]');
  await expect(skip.getByLabel('引用する助言を受けた日')).toHaveValue('2026-11-20');
  await expect(skip.getByLabel('引用する助言の内容')).toHaveValue('利用可。業務用データを入力しないこと。ログを月次で確認すること。');
  await expectNoAxeViolations(chief);
  await skip.getByRole('button', { name: '既に受けた助言を引用してNISCへの照会を省略' }).click();
  await expect(chief.locator('[data-test=case-state]')).toHaveText('審査中');
});
