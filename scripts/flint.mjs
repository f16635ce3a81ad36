#!/usr/bin/env node
/** `npm run flint -- <command>`: compiles the server when stale, then runs its command line (server/cli.ts) with plain node. */
import { spawn } from 'node:child_process';
import { buildServer, serverIsFresh, CLI_ENTRY } from './build.mjs';

if (!serverIsFresh()) await buildServer();
const child = spawn(process.execPath, ['--enable-source-maps', CLI_ENTRY, ...process.argv.slice(2)], { stdio: 'inherit', env: process.env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
