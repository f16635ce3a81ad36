/**
 * Where the e2e server listens. Shared by playwright.config.ts (which starts Flint) and the
 * fixtures (which talk to it and to its embedded simulator). Override with FLINT_E2E_PORT and
 * FLINT_E2E_SIM_PORT when the defaults are taken.
 */
export const APP_PORT = Number(process.env.FLINT_E2E_PORT ?? 3123);
export const SIM_PORT = Number(process.env.FLINT_E2E_SIM_PORT ?? 3124);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;
export const SIM_URL = `http://127.0.0.1:${SIM_PORT}`;
/** The e2e server's metrics listener (FLINT_METRICS_PORT), loopback as by default. */
export const METRICS_PORT = Number(process.env.FLINT_E2E_METRICS_PORT ?? APP_PORT + 3);
/**
 * Where the IDE at APP_URL loads its test sandbox from: the other loopback name (another site,
 * so Chromium gives it its own process; lib/sandbox/origin.ts), unless FLINT_E2E_SANDBOX_ORIGIN
 * puts it elsewhere.
 */
export const SANDBOX_URL = process.env.FLINT_E2E_SANDBOX_ORIGIN || `http://localhost:${APP_PORT}`;

/**
 * A second Flint for the local-model tests (e2e/tiers.spec.ts): `deep` runs a tiny random-weights
 * GGUF written at config load, `instant` is the default local model whose download cannot happen.
 */
export const LOCAL_APP_PORT = Number(process.env.FLINT_E2E_LOCAL_PORT ?? APP_PORT + 2);
export const LOCAL_APP_URL = `http://127.0.0.1:${LOCAL_APP_PORT}`;

/** FLINT_MAX_DOC_BYTES of the local-model server, which e2e/limits.spec.ts fills past it. */
export const LIMITS_E2E_MAX_DOC_BYTES = 256 * 1024;

/** The e2e run's npm registry (a Verdaccio with no uplink, test/support/registry-main.ts); FLINT_NPM_REGISTRY of the main server. */
export const REGISTRY_PORT = Number(process.env.FLINT_E2E_REGISTRY_PORT ?? APP_PORT + 5);
export const REGISTRY_URL = `http://127.0.0.1:${REGISTRY_PORT}/`;
