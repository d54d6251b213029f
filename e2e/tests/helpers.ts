// Shared building blocks for the page tests.
import { spawn } from 'node:child_process';
import { expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export interface Credentials {
  email: string;
  password: string;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run the tests through scripts/e2e.sh`);
  }
  return value;
}

/** The administrator that scripts/e2e.sh creates before starting the server. */
export function adminCredentials(): Credentials {
  return {
    email: requiredEnv('MAMORI_ADMIN_EMAIL'),
    password: requiredEnv('MAMORI_ADMIN_PASSWORD'),
  };
}

/**
 * Signs in through the login form and waits until the browser has left
 * /login. The labels and the button name are matched exactly, so the form's
 * accessible names must be precisely メールアドレス, パスワード and ログイン.
 */
export async function login(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('メールアドレス', { exact: true }).fill(email);
  await page.getByLabel('パスワード', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  try {
    await page.waitForURL((url) => url.pathname !== '/login', { timeout: 10_000 });
  } catch {
    // Still on the form: surface whatever error message the page shows so
    // the failure says more than "timeout".
    const alerts = await page
      .getByRole('alert')
      .allInnerTexts()
      .catch(() => [] as string[]);
    const detail = alerts.length > 0 ? `: ${alerts.join(' / ')}` : '';
    throw new Error(`login as ${email} did not leave /login${detail}`);
  }
}

export interface AxeOptions {
  /** CSS selectors to leave out of the scan. */
  exclude?: string[];
  /** axe rule ids to switch off, each with a reason in the calling test. */
  disableRules?: string[];
}

/** Runs axe (WCAG 2 A and AA rules) on the current page and fails on any violation. */
export async function expectNoAxeViolations(page: Page, options: AxeOptions = {}): Promise<void> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']);
  for (const selector of options.exclude ?? []) {
    builder = builder.exclude(selector);
  }
  if (options.disableRules && options.disableRules.length > 0) {
    builder = builder.disableRules(options.disableRules);
  }
  const results = await builder.analyze();
  // One line per violation: rule id, impact and the offending elements.
  const found = results.violations.map((violation) => {
    const targets = violation.nodes.map((node) => JSON.stringify(node.target)).join(', ');
    return `${violation.id} [${violation.impact ?? 'unknown'}]: ${targets}`;
  });
  expect(found, `accessibility violations on ${page.url()}`).toEqual([]);
}

/** The phone of the `mobile` project in playwright.config.ts, for a context of its own. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};

/**
 * A page in a browser context of its own for a person the administrator registered with an
 * initial password. The first sign-in is refused until that password is replaced, so this
 * signs in and replaces it through the API, leaving the page signed in with `password`.
 * `options` are the context's (e.g. PHONE); the rest comes from playwright.config.ts.
 */
export async function firstLoginPage(
  browser: Browser,
  email: string,
  initial: string,
  password: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto('/login');
  const first = await page.request.post('/api/v1/session', { data: { email, password: initial } });
  expect(first.status(), `first sign-in of ${email}`).toBe(403);
  const changed = await page.request.post('/api/v1/me/password', { data: { current: initial, new: password } });
  expect(changed.status(), `password change of ${email}`).toBe(204);
  return page;
}

/**
 * Tokyo's wall-clock time `minutesFromNow` minutes from now, as a datetime-local input
 * takes it (YYYY-MM-DDTHH:MM). The server runs on the real clock and reads such times as
 * Tokyo's, whatever the zone of the machine running the tests.
 */
export function tokyoLocalTime(minutesFromNow = 0): string {
  const when = new Date(Date.now() + minutesFromNow * 60_000);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(when);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}`;
}

/** Creates something through the JSON API as the page's session and returns its id. */
export async function apiCreate(page: Page, path: string, data: object): Promise<string> {
  const res = await page.request.post(path, { data });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(201);
  return (await res.json()).id;
}

/**
 * Registers each [name, e-mail, organisation, role] with an initial password and designates
 * them in that role, as the administrator signed in on `page`.
 */
export async function apiPeople(
  page: Page,
  people: Array<[string, string, string, string]>,
  initialPassword: string,
): Promise<void> {
  for (const [name, email, organisation, role] of people) {
    const person = await apiCreate(page, '/api/v1/persons', { name, email, organisation, initial_password: initialPassword });
    await apiCreate(page, '/api/v1/designations', { role, organisation, person, starts_on: '2020-04-01' });
  }
}

/**
 * Runs a second server on the same database `days` days in the future (libfaketime moves
 * its wall clock; its timers keep the real monotonic clock) until `done` holds, then stops
 * it: what the installation does when those days have passed — reminders, overdue notices,
 * lapses — without waiting for them. scripts/e2e.sh exports the command in MAMORI_SERVE.
 * The later server's sweep ends every session idle that long, so pages sign in again.
 */
export async function whileDaysLater(days: number, done: () => Promise<boolean>): Promise<void> {
  const serve: string[] = JSON.parse(process.env.MAMORI_SERVE ?? '[]');
  expect(serve.length, 'MAMORI_SERVE is set by scripts/e2e.sh').toBeGreaterThan(0);
  const port = 20000 + Math.floor(Math.random() * 40000);
  // faketime runs the server as its child: both lead a process group of their own, which
  // is stopped as a whole so that no server outlives the test.
  const later = spawn('faketime', ['-f', `+${days}d`, ...serve, '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    stdio: 'ignore',
    detached: true,
  });
  try {
    await expect.poll(done, { timeout: 45_000, intervals: [1_000] }).toBe(true);
  } finally {
    if (later.exitCode === null && later.signalCode === null && later.pid !== undefined) {
      const exited = new Promise((resolve) => later.once('exit', resolve));
      process.kill(-later.pid, 'SIGTERM');
      await exited;
    }
  }
}
