import { defineConfig } from '@playwright/test';
import { APP_PORT, APP_URL, SIM_PORT } from './e2e/env';

/**
 * Browser tests against the production build, in Debian's Chromium (never a Playwright browser
 * download). `webServer` runs `node scripts/start.mjs`, which builds first when the build is stale.
 */
export default defineConfig({
  testDir: 'e2e',
  workers: 1, // 2-core machine: the server, Next and Chromium already share it
  retries: process.env.CI ? 1 : 0,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: APP_URL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: 'node scripts/start.mjs',
    url: APP_URL,
    env: {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(APP_PORT),
      HOST: '127.0.0.1',
      FLINT_PROVIDER: 'sim',
      FLINT_SIM_PORT: String(SIM_PORT),
      FLINT_SIM_TPS: '1000',
      FLINT_SIM_TTFT_MS: '0',
    },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
