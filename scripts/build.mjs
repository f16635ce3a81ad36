#!/usr/bin/env node
/**
 * The production build: `next build` (failing when Next prints a prerender error, which it reports
 * but does not fail on) and the server compiled by esbuild into dist/server/main.js, which
 * `npm start` runs with plain node. `--if-stale`: build only what is older than its sources.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// scripts/: the sandbox bundle loader runs inside the build.
const SOURCES = ['app', 'components', 'lib', 'scripts/sandbox-bundle-loader.cjs', 'next.config.js', 'package.json', 'tsconfig.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

// The server bundle holds server/ and the lib/ code it imports.
const SERVER_SOURCES = ['server', 'lib', 'scripts/build.mjs', 'package.json', 'tsconfig.json'];
export const SERVER_ENTRY = 'dist/server/main.js';
/** `npm run flint -- <command>` (server/cli.ts), compiled beside it. */
export const CLI_ENTRY = 'dist/server/cli.js';
/** Files the server loads by path at run time (a worker), copied beside the bundle. */
const SERVER_ASSETS = ['server/storage/pglite-thread.mjs'];

function fresher(output, sources) {
  return existsSync(output) && statSync(output).mtimeMs > Math.max(...sources.map(newestMtime));
}

export function webIsFresh() {
  return fresher('.next/BUILD_ID', SOURCES);
}

export function serverIsFresh() {
  return fresher(SERVER_ENTRY, SERVER_SOURCES) && fresher(CLI_ENTRY, SERVER_SOURCES);
}

export function buildIsFresh() {
  return webIsFresh() && serverIsFresh();
}

/** Builds whatever is stale (everything when `force`). */
export async function build({ force = true } = {}) {
  if (force || !webIsFresh()) await buildWeb();
  if (force || !serverIsFresh()) await buildServer();
}

/** esbuild: one ESM file, node_modules left external, the `@/` alias from tsconfig. */
export async function buildServer() {
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    entryPoints: ['server/main.ts', 'server/cli.ts'],
    outdir: 'dist/server',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: 'tsconfig.json',
    sourcemap: true,
    logLevel: 'warning',
  });
  mkdirSync('dist/server', { recursive: true });
  for (const asset of SERVER_ASSETS) copyFileSync(asset, join('dist/server', asset.split('/').pop()));
  console.log(`[build] server compiled into ${SERVER_ENTRY} (and ${CLI_ENTRY})`);
}

function buildWeb() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const tee = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`next build exited with ${code}`));
      if (/Error occurred prerendering|Export encountered errors|prerender-error/i.test(output)) {
        return reject(new Error('next build reported a prerender error (see above)'));
      }
      resolve();
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && buildIsFresh()) {
    console.log('[build] .next and dist/server are up to date');
  } else {
    build({ force: !ifStale }).catch((err) => {
      console.error(`[build] ${err.message}`);
      process.exit(1);
    });
  }
}
