// Seed 001 in the browser: a subcontractor's reporter, on a phone, reports an infected PC
// to the Ministry through its prime contractor. The reporter telephones first and records
// the call (sending before that is refused), the prime's desk telephones ATLA and forwards
// the report, and ATLA's emergency contact acknowledges it.
//
// The server runs on the real clock, so whether the numbers shown are the office-hours or
// the night ones depends on when this runs: the test checks that a number to call is shown,
// not which one (crates/web/tests/http/incidents.rs pins the clock and checks that).
import { expect, test, type Page } from '@playwright/test';
import { PHONE, adminCredentials, apiCreate, apiPeople, expectNoAxeViolations, firstLoginPage, login, tokyoLocalTime } from './helpers';

const INITIAL = 'initial-pass-1';
const PASSWORD = 'a-long-enough-passphrase';

const REPORTED = '元請負者へ報告済み（転送待ち）';
const FORWARDED = '防衛省へ報告済み（受領待ち）';
const ACKNOWLEDGED = '受領済み（対応中）';

/** Opens the report from the reader's inbox on the home page. */
async function openFromInbox(page: Page, title: string): Promise<void> {
  await page.goto('/');
  await page.locator('[data-test=inbox]').getByRole('link', { name: title }).click();
  await expect(page.locator('[data-test=case-state]')).toBeVisible();
}

/** Fills a "who was telephoned" action box (record_call and forward ask the same). */
async function recordCall(page: Page, action: string, number: string, party: string): Promise<void> {
  const box = page.locator(`form.action-box[data-action=${action}]`);
  await box.getByLabel('電話した番号').fill(number);
  await box.getByLabel('電話の相手（窓口・氏名）').fill(party);
  await box.getByLabel('電話した日時').fill(tokyoLocalTime(-2));
}

test('a subcontractor reports on a phone, its prime forwards and the ATLA contact acknowledges', async ({ page, browser }) => {
  // Three people each sign in and act on a debug build: more than the default 30 s at times.
  test.slow();
  const { email, password } = adminCredentials();
  const suffix = Date.now().toString().slice(-6);

  // The administrator sets up the organisations of incidents.rs through the API: ATLA under
  // the Ministry, the prime 甲社 with a contract of ATLA, and its subcontractor 丙社, which
  // has no contract with the Ministry.
  await page.goto('/login');
  await login(page, email, password);
  const create = (path: string, data: object) => apiCreate(page, path, data);
  const ministry = await create('/api/v1/organisations', { name: `防衛省 ${suffix}`, kind: 'ministry' });
  // Named with the suffix so that runs do not collide; the report names the contracting
  // organisation as the directory of emergency contacts does (防衛装備庁), which is what
  // picks the number to call.
  const atla = await create('/api/v1/organisations', { name: `防衛装備庁 ${suffix}`, kind: 'agency', parent: ministry });
  const primeName = `甲社 ${suffix}`;
  const subName = `丙社 ${suffix}`;
  const prime = await create('/api/v1/organisations', { name: primeName, kind: 'company' });
  const sub = await create('/api/v1/organisations', { name: subName, kind: 'company' });
  for (const [from, kind, to] of [
    [prime, 'contracts_with', atla],
    [sub, 'subcontractor_of', prime],
  ]) {
    await create(`/api/v1/organisations/${from}/relations`, { kind, other: to });
  }
  const people: Array<[string, string, string, string]> = [
    ['丙 報告', `reporter.${suffix}@hei.example.jp`, sub, 'incident_reporter'],
    ['甲 窓口', `desk.${suffix}@ko.example.jp`, prime, 'prime_contact'],
    ['装備 窓口', `contact.${suffix}@atla.example.jp`, atla, 'emergency_contact'],
  ];
  await apiPeople(page, people, INITIAL);
  const [reporterEmail, deskEmail, contactEmail] = people.map((p) => p[1]);

  // The administrator records 甲社's emergency desk on its page: a number typed as words is
  // refused beside the field and what was typed stays; then the desk is kept.
  await page.goto(`/organisations/${prime}`);
  const deskForm = page.locator('[data-test=desk] form');
  await deskForm.getByLabel('窓口の名称').fill('甲社 情報セキュリティ窓口');
  await deskForm.getByLabel('電話番号（勤務時間内）').fill('夜間は携帯へ');
  await deskForm.getByRole('button', { name: '保存' }).click();
  await expect(page.locator('[data-test=desk]')).toContainText('電話番号を数字とハイフンで入力してください');
  await expect(page.locator('[data-test=desk] form').getByLabel('窓口の名称')).toHaveValue('甲社 情報セキュリティ窓口');
  await page.locator('[data-test=desk] form').getByLabel('電話番号（勤務時間内）').fill('03-9999-0000');
  await page.locator('[data-test=desk] form').getByLabel('電話番号（夜間・休日等）').fill('090-9999-0000');
  await page.locator('[data-test=desk] form').getByRole('button', { name: '保存' }).click();
  await expect(page.locator('[data-test=desk-kept]')).toContainText('03-9999-0000');
  await expectNoAxeViolations(page);

  // ---- 丙社's reporter, at night on a phone, opens the form from the procedures page.
  const reporter = await firstLoginPage(browser, reporterEmail, INITIAL, PASSWORD, PHONE);
  // The home page offers 「事故等を報告する」 first.
  await reporter.goto('/');
  await expectNoAxeViolations(reporter);
  await reporter.locator('[data-test=quick-starts]').getByRole('link', { name: '事故等を報告する' }).click();
  // The form saves itself as a draft while it is typed (its address then becomes the
  // draft's), so it is found by that, not by where it posts.
  const form = reporter.locator('form[data-autosave]');
  // Whom to call is there before anything is typed: 丙社 calls its prime's desk first, by
  // day or by night, as a number the phone dials.
  await expect(reporter.locator('[data-test=call-prime-desk]').first()).toContainText(primeName);
  await expect(reporter.locator('[data-test=call-prime-number]').first()).toHaveAttribute('href', /^tel:0(3|90)99990000$/);
  await reporter.screenshot({ path: 'test-results/shots/reporter-phone-after.png', fullPage: true });

  // What mamori knows is filled in already: ① the company, ② the person (the reporter adds
  // the department).
  await expect(form.getByLabel('会社名（事業所名を含む）')).toHaveValue(subName);
  await expect(form.getByLabel('連絡先部署、担当者名')).toHaveValue('丙 報告');
  await form.getByLabel('連絡先部署、担当者名').fill('情報システム課 丙 報告');

  // The deciding questions come first; ④ and the proviso of (1)ア are not asked until the
  // answers say they apply, which keeps the form short on a phone.
  const itemFour = form.getByRole('group', { name: /速報の内容/ });
  await expect(itemFour).toBeHidden();
  await expect(form.getByRole('group', { name: /全く影響が発生していない/ })).toBeHidden();

  // Detected ten minutes ago: the report refuses a time later than the server's clock.
  await form.getByLabel('検知した日時').fill(tokyoLocalTime(-10));
  await form.getByLabel('(1)ア 主として防衛関連部門に属する社員が、不審なメールの添付ファイルを開いたことによるウィルス感染').check();
  // The proviso of (1)ア: the defence division's systems were affected.
  await form.getByRole('group', { name: /全く影響が発生していない/ }).getByLabel('いいえ', { exact: true }).check();
  // An infected PC storing protected information: a report of 12(1)イ, with ④.
  await form.getByRole('group', { name: /保護すべき情報を取り扱う契約がある/ }).getByLabel('はい', { exact: true }).check();
  await form.getByRole('group', { name: /^保護すべき情報を保存したサーバ/ }).getByLabel('はい', { exact: true }).check();
  await expect(itemFour).toBeVisible();
  await form.getByLabel('電話番号').fill('03-1234-5678');
  await form.getByRole('group', { name: /速報の内容/ }).getByRole('checkbox', { name: /^ア 保護すべき情報/ }).check();
  const details = '設計データを保存したPCで不審な通信を検知。流出の可能性あり。';
  await form.getByLabel('現時点でわかっていることの詳細').fill(details);
  // ⑦ A group: the cells are named by column and row number.
  await form.getByLabel('契約 1', { exact: true }).fill('〇〇式〇〇に関する契約');
  await form.getByLabel('契約機関等 1', { exact: true }).fill('防衛装備庁');
  await form.getByLabel('担当課等 1', { exact: true }).fill('装備政策部');
  // Nothing pressed: a few seconds after the last keystroke the draft is on the server, and
  // a browser opened again on the same address finds everything typed.
  await expect(reporter.locator('[data-autosave-status]')).toHaveText('下書きを自動で保存しました。', {
    timeout: 15_000,
  });
  await expect(reporter).toHaveURL(/\/cases\/[0-9a-f-]{36}$/);
  await reporter.reload();
  await expect(reporter.locator('[data-test=case-state]')).toHaveText('作成中');
  await expect(form.getByLabel('現時点でわかっていることの詳細')).toHaveValue(details);
  await expect(form.getByLabel('契約機関等 1', { exact: true })).toHaveValue('防衛装備庁');

  // Whom to telephone is shown above the form, as a number the phone can dial, with a
  // reminder that a subcontractor's report goes to its prime first.
  const calls = reporter.locator('[data-test=calls]');
  await expect(calls.locator('[data-test=call-prime-desk]').first()).toContainText(primeName);
  const number = calls.locator('[data-test=call-prime-number]').first();
  await expect(number).toHaveAttribute('href', /^tel:\+?\d{6,}$/);
  await expect(number).toHaveText(/\d/);
  // Nothing on the page makes the phone scroll sideways to reach the number.
  const width = await reporter.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(PHONE.viewport!.width);
  await expectNoAxeViolations(reporter);

  // Sending before the call is recorded is refused with the reason; what was typed stays,
  // including the extension added since the draft was saved.
  await reporter.getByLabel('内線').fill('123');
  await reporter.getByRole('button', { name: '報告を送信' }).click();
  await expect(reporter.getByRole('alert')).toContainText('電話');
  await expect(reporter.locator('[data-test=case-state]')).toHaveText('作成中');
  await expect(reporter.getByLabel('内線')).toHaveValue('123');
  await expect(reporter.getByLabel('現時点でわかっていることの詳細')).toHaveValue(details);
  await expect(reporter.getByLabel('契約機関等 1', { exact: true })).toHaveValue('防衛装備庁');
  // Sent within a moment of the last keystroke, before the autosave ran: it was saved all
  // the same, so the page read afresh still has it.
  await reporter.goto(reporter.url().split('?')[0]);
  await expect(reporter.getByLabel('内線')).toHaveValue('123');

  // The reporter telephones the prime's desk, records the call, then sends.
  await recordCall(reporter, 'record_call', '03-9999-0000 (甲社 窓口)', '甲社 情報セキュリティ窓口 当直');
  await reporter.getByRole('button', { name: '電話連絡を記録' }).click();
  await expect(reporter.locator('[data-test=case-history]')).toContainText('電話連絡を記録');
  await expect(reporter.locator('[data-test=case-state]')).toHaveText('作成中');
  await reporter.getByRole('button', { name: '報告を送信' }).click();
  await expect(reporter.locator('[data-test=case-state]')).toHaveText(REPORTED);

  // It is the prime's to forward: ATLA's contact does not have it yet.
  const contact = await firstLoginPage(browser, contactEmail, INITIAL, PASSWORD);
  await contact.goto('/');
  await expect(contact.getByRole('heading', { name: '受信箱' })).toBeVisible();
  await expect(contact.getByRole('link', { name: subName })).toHaveCount(0);

  // ---- 甲社's desk finds it in its inbox, telephones the number shown and forwards it.
  const desk = await firstLoginPage(browser, deskEmail, INITIAL, PASSWORD);
  await openFromInbox(desk, subName);
  await expect(desk.locator('[data-test=case-state]')).toHaveText(REPORTED);
  // The prime is told to call the Ministry's desk and forward, not to call a prime.
  await expect(desk.locator('[data-test=call-forwarded]')).toContainText(`${subName}（下請負者）からの報告です`);
  await expect(desk.locator('[data-test=call-prime-desk]')).toHaveCount(0);
  await desk.screenshot({ path: 'test-results/shots/prime-desk-after.png', fullPage: true });
  const ministryNumber = (await desk.locator('[data-test=call-number]').first().innerText()).trim();
  expect(ministryNumber).toMatch(/\d/);
  await recordCall(desk, 'forward', ministryNumber, '装備保全管理官 当直');
  await desk.locator('form.action-box[data-action=forward]').getByRole('button', { name: '転送（元請負者として）' }).click();
  await expect(desk.locator('[data-test=case-state]')).toHaveText(FORWARDED);
  await expect(desk.locator('[data-test=case-history]')).toContainText('転送（元請負者として）');
  await expectNoAxeViolations(desk);

  // ---- ATLA's emergency contact has it now, and acknowledges it.
  await openFromInbox(contact, subName);
  await expect(contact.locator('[data-test=case-state]')).toHaveText(FORWARDED);
  await contact.locator('form.action-box[data-action=acknowledge]').getByRole('button', { name: '受領', exact: true }).click();
  await expect(contact.locator('[data-test=case-state]')).toHaveText(ACKNOWLEDGED);
  await expectNoAxeViolations(contact);
  await contact.screenshot({ path: 'test-results/shots/ministry-contact-after.png', fullPage: true });

  // The abbreviated text, to read out on the telephone, numbers the items as the notice does.
  const abbreviated = contact.locator('[data-test=document]', { hasText: '速報（略記・テキスト）' });
  const res = await contact.request.get((await abbreviated.getAttribute('href'))!);
  expect(res.status()).toBe(200);
  const text = await res.text();
  expect(text.split('\n')[0]).toBe('情報セキュリティ基準第12(1)イの速報');
  expect(text).toContain('④ 12(1)イ(ア) ア 悪意のあるコードへの感染');
  expect(text).toContain(`① ${subName}`);
  expect(text).toContain('② 情報システム課 丙 報告');
  expect(text).toContain('⑦ ア 〇〇式〇〇に関する契約 (防衛装備庁 装備政策部)');

  // Back on the phone, the reporter is told it was acknowledged.
  await reporter.goto('/');
  await expect(reporter.locator('[data-test=notices]')).toContainText(`「受領」が行われ、「${ACKNOWLEDGED}」になりました。`);
  await expect(reporter.locator('[data-test=notices]')).toContainText(subName);
});
