#!/usr/bin/env node
/**
 * `npm start`: builds what is missing or stale (the web app, the compiled server), then runs the
 * compiled server with plain node.
 */
import { spawn } from 'node:child_process';
import { build, buildIsFresh, buildServer, serverIsFresh, SERVER_ENTRY } from './build.mjs';

process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV ??= 'production';
if (process.env.NODE_ENV === 'production' && !buildIsFresh()) {
  console.log('[flint] building (first start, or sources changed)…');
  await build({ force: false });
} else if (!serverIsFresh()) {
  await buildServer();
}
const child = spawn(process.execPath, ['--enable-source-maps', SERVER_ENTRY], { stdio: 'inherit', env: process.env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
