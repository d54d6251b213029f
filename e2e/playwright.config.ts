// Playwright settings for mamori's browser tests.
//
// The tests are normally started by scripts/e2e.sh, which builds the server,
// starts it on a free loopback port and passes its address in MAMORI_URL.
// Browsers are never downloaded: Debian's chromium is used instead.
import { defineConfig } from '@playwright/test';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Flags that keep Chromium from phoning home or needing things a CI box
// lacks (a GPU, a user namespace sandbox, a first-run profile).
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Tests whose title carries this tag run in the phone-sized project only.
const mobileTag = /@mobile/;

export default defineConfig({
  testDir: 'tests',
  // All tests talk to the same server instance and the machine has 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  reporter: 'list',
  // A stray test.only must not silently shrink a CI run.
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: process.env.MAMORI_URL,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: chromiumPath,
      args: chromiumArgs,
    },
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
  },
  projects: [
    {
      name: 'desktop',
      grepInvert: mobileTag,
      use: {
        viewport: { width: 1280, height: 800 },
      },
    },
    {
      name: 'mobile',
      grep: mobileTag,
      use: {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      },
    },
  ],
});
