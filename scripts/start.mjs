#!/usr/bin/env node
/** `npm start`: builds once when no build exists (or it is stale), then runs the server. */
import { spawn } from 'node:child_process';
import { build, buildIsFresh } from './build.mjs';

process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV ??= 'production';
if (process.env.NODE_ENV === 'production' && !buildIsFresh()) {
  console.log('[flint] building the web app (first start)…');
  await build();
}
const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { stdio: 'inherit', env: process.env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
