import type { TestsResultPayload } from '@/lib/protocol';
import { LIMITS } from '@/lib/protocol';
import { clip } from './protocol';
import { isTestFile, relativeImports, resolveImport } from './resolve';

/**
 * "Fix with AI": the failures of a run and the code they test, as one prompt. The target file
 * (the `path` the prompt is sent with, which the model edits) is the code under test: the first
 * failure's location outside a test file, else the first local import of the failing test file,
 * else the test file itself.
 */
export function buildFixPrompt(report: TestsResultPayload, files: ReadonlyMap<string, string>): { prompt: string; path: string } | null {
  const failures: string[] = [];
  let target: string | null = null;
  const testFiles = new Set<string>();
  for (const file of report.files) {
    for (const e of file.errors) {
      failures.push(`- ${file.path} (could not run): ${e.message}`);
      testFiles.add(file.path);
    }
    for (const t of file.tests) {
      if (t.status !== 'failed' && t.status !== 'timedout') continue;
      testFiles.add(file.path);
      const where = t.error?.location ? ` at ${t.error.location.path}:${t.error.location.line}` : '';
      const lines = [`- ${file.path} › ${t.name.join(' › ')} [${t.status}]${where}: ${t.error?.message ?? ''}`];
      if (t.error?.diff) lines.push(indent(t.error.diff));
      else if (t.error?.expected !== undefined) lines.push(`    expected: ${t.error.expected}\n    received: ${t.error.actual ?? ''}`);
      failures.push(lines.join('\n'));
      const loc = t.error?.location?.path;
      if (!target && loc && !isTestFile(loc) && files.has(loc)) target = loc;
    }
  }
  if (failures.length === 0) return null;
  const firstTest = [...testFiles][0];
  if (!target && firstTest) {
    const source = files.get(firstTest) ?? '';
    for (const spec of relativeImports(source)) {
      const resolved = resolveImport(files, firstTest, spec);
      if (resolved && !isTestFile(resolved)) {
        target = resolved;
        break;
      }
    }
  }
  target ??= firstTest;
  const budget = LIMITS.maxPromptChars - 2_000;
  const parts = [
    `These tests fail. Change ${target} so that they pass, without changing what the tests check.`,
    '',
    'Failures:',
    clip(failures.join('\n'), Math.floor(budget / 2)),
  ];
  for (const path of testFiles) {
    if (path === target) continue;
    parts.push('', `Test file ${path}:`, clip(files.get(path) ?? '', Math.floor(budget / (2 * testFiles.size))));
  }
  return { prompt: clip(parts.join('\n'), budget), path: target };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
