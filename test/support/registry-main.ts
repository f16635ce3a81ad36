import { startRegistry } from './verdaccio';

/**
 * A Verdaccio for the e2e run (playwright.config.ts starts it): `PORT` on 127.0.0.1, no uplink,
 * holding tarballs packed from this repository's node_modules. Ready (for Playwright's URL
 * check) once the last package is published.
 */
const PACKAGES = ['react', 'react-dom', 'scheduler', 'zod', '@types/react', '@types/react-dom', 'csstype', '@jridgewell/trace-mapping', '@jridgewell/resolve-uri', '@jridgewell/sourcemap-codec', 'lodash'];
const registry = await startRegistry({ port: Number(process.env.PORT ?? 3405) });
for (const name of PACKAGES) await registry.publishInstalled(name);
console.log(`[registry] ${registry.url} with ${PACKAGES.join(', ')}`);
const stop = () => void registry.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
