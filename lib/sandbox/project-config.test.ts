import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestConfig } from './project-config';

const files = (text?: string) => new Map(text === undefined ? [] : [['flint.test.json', text]]);

test('no flint.test.json means no overrides', () => {
  assert.deepEqual(readTestConfig(files()), { ok: true, config: {} });
});

test('reads the per-test and per-run limits', () => {
  assert.deepEqual(readTestConfig(files('{"testTimeoutMs": 2000, "runTimeoutMs": 30000}')), { ok: true, config: { testTimeoutMs: 2000, runTimeoutMs: 30000 } });
});

test('a bad file is refused with the field named', () => {
  const notJson = readTestConfig(files('{nope'));
  assert.ok(!notJson.ok && /not valid JSON/.test(notJson.error));
  const tooSmall = readTestConfig(files('{"runTimeoutMs": 5}'));
  assert.ok(!tooSmall.ok && /runTimeoutMs/.test(tooSmall.error), JSON.stringify(tooSmall));
  const unknown = readTestConfig(files('{"timeout": 5}'));
  assert.ok(!unknown.ok && /timeout/.test(unknown.error) && /Allowed/.test(unknown.error), JSON.stringify(unknown));
});
