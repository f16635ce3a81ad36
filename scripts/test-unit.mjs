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

const files = ['lib', 'server', 'test', 'scripts', 'bench'].flatMap((d) => find(d)).sort();
const extra = process.argv.slice(2);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...extra, ...files], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
