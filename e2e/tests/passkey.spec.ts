// Passkeys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn
// domain) registers a passkey on the account page and logs in with it, without a
// password. Browsers refuse an IP address as a passkey's relying-party id, and the shared
// server of scripts/e2e.sh is reached at 127.0.0.1, so this test starts its own server
// (same binary, its own SQLite folder) whose public URL is http://localhost:PORT.
import { expect, test } from '@playwright/test';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/mamori-target'), 'debug/mamori');
const EMAIL = 'passkey-admin@example.jp';
const PASSWORD = 'パスキー試験用のながいパスワード';

let server: ChildProcess | undefined;
let dataDir = '';
let base = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mamori-passkey-e2e-'));
  execFileSync(
    BIN,
    ['admin', 'create', '--data-dir', dataDir, '--email', EMAIL, '--name', '鍵 太郎',
      '--organisation', 'パスキー試験室', '--password-stdin'],
    { input: PASSWORD },
  );
  const port = await freePort();
  base = `http://localhost:${port}`;
  server = spawn(BIN, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, '--public-url', base], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the passkey test server did not start');
});

test.afterAll(async () => {
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('a passkey registered on the account page logs in without a password, and as the second factor', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  await page.goto('/login');
  await page.getByLabel('メールアドレス', { exact: true }).fill(EMAIL);
  await page.getByLabel('パスワード', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(page.getByRole('heading', { name: '受信箱' })).toBeVisible();

  await page.goto('/account');
  await page.getByRole('link', { name: 'パスキー' }).click();
  await page.getByLabel('名前（どの端末・キーか分かるように）').fill('試験用の端末');
  await page.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('status')).toContainText('パスキーを登録しました');
  await expect(page.getByRole('cell', { name: '試験用の端末', exact: true })).toBeVisible();
  // The authenticator holds one discoverable credential for this site.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe('localhost');

  // Logged out, the passkey alone logs in.
  await context.clearCookies();
  await page.goto('/login');
  await page.getByRole('button', { name: 'パスキーでログイン' }).click();
  await expect(page.getByRole('heading', { name: '受信箱' })).toBeVisible();

  // With the password, the passkey is the second factor.
  await context.clearCookies();
  await page.goto('/login');
  await page.getByLabel('メールアドレス', { exact: true }).fill(EMAIL);
  await page.getByLabel('パスワード', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(page).toHaveURL(/\/login\/totp$/);
  await page.getByRole('button', { name: 'パスキーを使う' }).click();
  await expect(page.getByRole('heading', { name: '受信箱' })).toBeVisible();
  await context.close();
});
