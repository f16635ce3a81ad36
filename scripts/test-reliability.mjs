#!/usr/bin/env node
/**
 * `npm run test:reliability`: the reliability suites (test/reliability/*.test.ts, node:test
 * against real servers and processes) at full size, then the browser suites tagged @reliability
 * (Playwright, Chromium). Each suite records its figures (scripts → test/reliability/report.ts);
 * this prints them as a table and, for a full run, writes them to the README between the
 * reliability markers and to test/reliability/results/<date>.json.
 *
 *   npm run test:reliability            full size (FLINT_RELIABILITY=full)
 *   npm run test:reliability -- --ci    the CI sizes (what `npm test` runs)
 *   FLINT_SEED=123 npm run test:reliability -- --ci   replay a randomized run
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ci = process.argv.includes('--ci');
const report = join(tmpdir(), `flint-reliability-${process.pid}.jsonl`);
rmSync(report, { force: true });
const env = { ...process.env, FLINT_RELIABILITY: ci ? 'ci' : 'full', FLINT_RELIABILITY_REPORT: report };

const dir = 'test/reliability';
const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
const unit = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit', env });
const e2e = spawnSync('npx', ['playwright', 'test', '--grep', '@reliability'], { stdio: 'inherit', env });

const rows = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const table = [
  '| Suite | Figures |',
  '| --- | --- |',
  ...rows.map(({ suite, at, ...figures }) => `| ${suite} | ${Object.entries(figures).map(([k, v]) => `${k}: ${v}`).join(', ')} |`),
].join('\n');
console.log(`\n${table}\n`);

const ok = unit.status === 0 && e2e.status === 0;
if (!ci && ok && rows.length) {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'results', `${date}.json`), JSON.stringify(rows, null, 2) + '\n');
  const readme = readFileSync('README.md', 'utf8');
  const block = `<!-- reliability:start -->\nMeasured ${date} with \`npm run test:reliability\` (full size):\n\n${table}\n<!-- reliability:end -->`;
  if (/<!-- reliability:start -->[\s\S]*<!-- reliability:end -->/.test(readme)) {
    writeFileSync('README.md', readme.replace(/<!-- reliability:start -->[\s\S]*<!-- reliability:end -->/, block));
  }
}
process.exit(ok ? 0 : 1);
