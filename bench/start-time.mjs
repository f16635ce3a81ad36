#!/usr/bin/env node
/**
 * `npm run bench:start`: time from spawning the production server to its first HTTP response,
 * compiled (`node dist/server/main.js`, what `npm start` runs) beside the TypeScript loader it
 * replaced (`node --import tsx server/main.ts`), alternating in one run on the same build.
 * Prints the medians and their ratio. `--runs N` (default 5). Only loopback is used.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../scripts/build.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const VARIANTS = {
  compiled: ['--enable-source-maps', 'dist/server/main.js'],
  tsx: ['--import', 'tsx', 'server/main.ts'],
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function once(args, dataDir) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', HOST: '127.0.0.1', PORT: String(port), FLINT_PROVIDER: 'sim', FLINT_SIM_PORT: '0', FLINT_DATA_DIR: dataDir },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await build({ force: false });
// A data directory per variant, created by an uncounted first start (PGlite's initdb takes
// seconds): the counted starts are restarts, as a person's second `npm start` is.
const dirs = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, mkdtempSync(join(tmpdir(), `flint-start-${name}-`))]));
const times = { compiled: [], tsx: [] };
try {
  for (const [name, args] of Object.entries(VARIANTS)) await once(args, dirs[name]);
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(VARIANTS)) times[name].push(await once(args, dirs[name]));
  }
} finally {
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
}
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(8)} median ${median(xs).toFixed(0)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})`);
}
console.log(`tsx / compiled: ${(median(times.tsx) / median(times.compiled)).toFixed(2)}×`);
