import { writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { APP_PORT, APP_URL, LIMITS_E2E_MAX_DOC_BYTES, LOCAL_APP_PORT, LOCAL_APP_URL, METRICS_PORT, REGISTRY_PORT, REGISTRY_URL, SIM_PORT } from './e2e/env';
import { tinyGguf } from './server/inference/tiny-gguf';

// The local-model server's model: a tiny random-weights GGUF written here, never downloaded.
const e2eDir = join(tmpdir(), `flint-e2e-${LOCAL_APP_PORT}`);
mkdirSync(e2eDir, { recursive: true });
const tinyModel = join(e2eDir, 'tiny-random.gguf');
// Room for Flint's prompt in this byte-level vocabulary (thousands of tokens).
writeFileSync(tinyModel, tinyGguf({ contextLength: 8192 }));

/** Every variable that picks a tier, so nothing from the outer environment or a flint.config.json leaks in. */
const isolated = {
  NODE_ENV: 'production',
  NEXT_TELEMETRY_DISABLED: '1',
  HOST: '127.0.0.1',
  FLINT_CONFIG: join(e2eDir, 'none.json'),
  FLINT_BASE_URL: '', FLINT_INSTANT_BASE_URL: '', FLINT_DEEP_BASE_URL: '',
  FLINT_MODEL: '', FLINT_INSTANT_MODEL: '', FLINT_DEEP_MODEL: '',
  FLINT_MODEL_PATH: '', FLINT_INSTANT_MODEL_PATH: '', FLINT_DEEP_MODEL_PATH: '',
  FLINT_CACHE_DIR: join(e2eDir, 'cache'),
  // One process, its own PGlite (kept between runs, never the repo's .flint-data).
  DATABASE_URL: '',
  REDIS_URL: '',
  // The test sandbox: unset, so an IDE at 127.0.0.1 loads it from localhost (another site, its
  // own process). FLINT_E2E_SANDBOX_ORIGIN=<APP_URL> with FLINT_E2E_APP_ORIGINS=<APP_URL> puts it
  // back on the IDE's origin, to see the memory test of e2e/sandbox.spec.ts fail without isolation.
  FLINT_SANDBOX_ORIGIN: process.env.FLINT_E2E_SANDBOX_ORIGIN ?? '',
  FLINT_APP_ORIGINS: process.env.FLINT_E2E_APP_ORIGINS ?? '',
};
writeFileSync(isolated.FLINT_CONFIG, '{}\n');

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
  webServer: [{
    // A real npm registry with no uplink; ready once its last package (lodash) is published.
    command: 'node --import tsx test/support/registry-main.ts',
    url: `${REGISTRY_URL}lodash`,
    env: { PORT: String(REGISTRY_PORT) },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  }, {
    command: 'node scripts/start.mjs',
    url: APP_URL,
    env: {
      ...isolated,
      FLINT_DATA_DIR: join(e2eDir, 'data'),
      PORT: String(APP_PORT),
      // Both tiers on the embedded simulator: deterministic, and scripted by the tests.
      FLINT_PROVIDER: 'sim',
      FLINT_INSTANT_PROVIDER: 'sim',
      FLINT_DEEP_PROVIDER: 'sim',
      FLINT_SIM_PORT: String(SIM_PORT),
      FLINT_SIM_TPS: '1000',
      FLINT_SIM_TTFT_MS: '0',
      // The idle watchdog (default 30 s): e2e/faults.spec.ts's stall ends after this long. No
      // other test leaves an upstream silent this long (the simulator streams at 1,000 tok/s).
      FLINT_STREAM_IDLE_MS: '5000',
      FLINT_METRICS_PORT: String(METRICS_PORT),
      // e2e/projects.spec.ts clones from a git server on 127.0.0.1 (link-local and metadata stay refused).
      FLINT_IMPORT_ALLOW_PRIVATE: 'true',
      // e2e/packages.spec.ts: session packages from the run's own Verdaccio (below), never the internet.
      FLINT_NPM_REGISTRY: REGISTRY_URL,
    },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
  {
    // Started after the first, so the build is already fresh.
    command: 'node scripts/start.mjs',
    url: LOCAL_APP_URL,
    env: {
      ...isolated,
      FLINT_DATA_DIR: join(e2eDir, 'data-local'),
      PORT: String(LOCAL_APP_PORT),
      FLINT_PROVIDER: 'local',
      FLINT_INSTANT_PROVIDER: 'local',
      FLINT_DEEP_PROVIDER: 'local',
      // instant: the default model, from an address that refuses connections (offline)
      FLINT_DEFAULT_MODEL_URL: 'http://127.0.0.1:1/default-coder.gguf',
      // deep: the tiny GGUF
      FLINT_DEEP_MODEL_PATH: tinyModel,
      FLINT_DEEP_THREADS: '1',
      // A small document limit, for e2e/limits.spec.ts (the tiny model's few turns stay far below it).
      FLINT_MAX_DOC_BYTES: String(LIMITS_E2E_MAX_DOC_BYTES),
      FLINT_METRICS_PORT: 'off',
    },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  }],
});
