#!/usr/bin/env node
/**
 * Runs every `*.test.ts` under lib/, server/, test/, scripts/ and bench/ with Node's test runner (Node 20 does not expand
 * globs in `--test` arguments, so this finds the files).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/**
 * Suites whose process is held open after their last test by a handle we have not found (the
 * npm packages suite: two pipes and a MessagePort after Verdaccio, esbuild and pacote are all
 * closed). They run on their own with --test-force-exit, so one leak cannot hang the whole run;
 * every other file must exit by itself.
 */
const FORCE_EXIT = new Set(['server/packages/packages.test.ts']);

const all = ['lib', 'server', 'test', 'scripts', 'bench'].flatMap((d) => find(d)).sort();
const extra = process.argv.slice(2);
const run = (args, files) =>
  new Promise((resolve) => {
    if (files.length === 0) return resolve(0);
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...args, ...extra, ...files], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
const main = await run([], all.filter((f) => !FORCE_EXIT.has(f)));
const forced = await run(['--test-force-exit'], all.filter((f) => FORCE_EXIT.has(f)));
process.exit(main || forced);
