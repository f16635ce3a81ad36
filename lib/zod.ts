import { z } from 'zod';

/**
 * zod, as the browser code must use it. The IDE page's CSP forbids eval
 * (server/edge/page-headers.ts), and zod's JIT probes for `new Function` when a schema is
 * *built* — a CSP violation on every page load. Jitless before any schema exists: every module
 * of app/, components/ and lib/ takes `z` from here (an architecture rule), so this runs first.
 * The server keeps the JIT for the payloads it validates.
 */
if (typeof window !== 'undefined') z.config({ jitless: true });

export { z };
