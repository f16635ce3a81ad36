import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestConfig, testEnvironmentOf } from './project-config';

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

test('environment: flint.test.json sets it, a docblock at the top of a file overrides it', () => {
  const config = readTestConfig(files('{"environment": "jsdom"}'));
  assert.deepEqual(config, { ok: true, config: { environment: 'jsdom' } });
  assert.ok(config.ok);
  assert.deepEqual(testEnvironmentOf('it("x", () => {});', {}), { ok: true, environment: 'worker' });
  assert.deepEqual(testEnvironmentOf('it("x", () => {});', config.config), { ok: true, environment: 'dom' });
  assert.deepEqual(testEnvironmentOf('// @vitest-environment node\nit("x", () => {});', config.config), { ok: true, environment: 'worker' });
  assert.deepEqual(testEnvironmentOf('/**\n * Renders the form.\n * @vitest-environment happy-dom\n */\nimport x from "y";', {}), { ok: true, environment: 'dom' });
  assert.deepEqual(testEnvironmentOf('/** @jest-environment jsdom */\n', {}), { ok: true, environment: 'dom' });
  // Only the comments before the first statement count, as in Vitest.
  assert.deepEqual(testEnvironmentOf('import x from "y";\n// @vitest-environment jsdom\n', {}), { ok: true, environment: 'worker' });
  const unknown = testEnvironmentOf('// @vitest-environment edge-runtime\n', {});
  assert.ok(!unknown.ok && /edge-runtime/.test(unknown.error) && /jsdom/.test(unknown.error), JSON.stringify(unknown));
  const bad = readTestConfig(files('{"environment": "browser"}'));
  assert.ok(!bad.ok && /environment/.test(bad.error), JSON.stringify(bad));
});
