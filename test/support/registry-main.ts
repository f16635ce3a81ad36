import { startRegistry } from './verdaccio';

/**
 * A Verdaccio for the e2e run (playwright.config.ts starts it): `PORT` on 127.0.0.1, no uplink,
 * holding tarballs packed from this repository's node_modules. Ready (for Playwright's URL
 * check) once the last package is published.
 */
const PACKAGES = ['react', 'react-dom', 'zod', '@types/react', '@types/react-dom', '@jridgewell/trace-mapping', '@testing-library/react'];
const registry = await startRegistry({ port: Number(process.env.PORT ?? 3405) });
const published = await registry.publishTree(PACKAGES);
// Last, as the readiness mark playwright.config.ts waits for (it has no dependencies).
published.push(...(await registry.publishTree(['lodash'])));
console.log(`[registry] ${registry.url} with ${published.map((p) => `${p.name}@${p.version}`).join(', ')}`);
const stop = () => void registry.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
