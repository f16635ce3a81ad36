import { appendFileSync } from 'node:fs';

/**
 * A reliability suite's figures (RSS before/after, seeds run, rounds, p99 latency…). They are
 * always printed; under `npm run test:reliability` they are also appended, one JSON line per
 * call, to FLINT_RELIABILITY_REPORT, from which scripts/test-reliability.mjs writes the README table.
 */
export function recordFigures(suite: string, figures: Record<string, number | string | boolean>): void {
  const line = JSON.stringify({ suite, at: new Date().toISOString(), ...figures });
  console.log(`[reliability] ${line}`);
  const file = process.env.FLINT_RELIABILITY_REPORT;
  if (file) appendFileSync(file, line + '\n');
}
