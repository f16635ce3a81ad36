#!/usr/bin/env node
/**
 * `next build`, failing when Next prints a prerender error (which it reports but does not fail on).
 * `--if-stale`: skip the build when .next/BUILD_ID is newer than every source file.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

export function buildIsFresh() {
  const id = '.next/BUILD_ID';
  return existsSync(id) && statSync(id).mtimeMs > Math.max(...SOURCES.map(newestMtime));
}

export function build() {
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
  if (process.argv.includes('--if-stale') && buildIsFresh()) {
    console.log('[build] .next is up to date');
  } else {
    build().catch((err) => {
      console.error(`[build] ${err.message}`);
      process.exit(1);
    });
  }
}
