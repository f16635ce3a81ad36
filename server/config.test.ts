import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CEREBRAS_UNSUPPORTED_FIELDS, defaultThreads, loadConfig } from './config';

const empty = mkdtempSync(join(tmpdir(), 'flint-config-'));

function dirWithFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flint-config-'));
  writeFileSync(join(dir, 'flint.config.json'), content);
  return dir;
}

describe('loadConfig', () => {
  it('with nothing configured, both tiers are the local model (downloaded on first use)', () => {
    const c = loadConfig({}, empty);
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.tiers.instant.provider, 'local');
    assert.equal(c.tiers.instant.modelPath, undefined);
    assert.match(c.tiers.instant.model, /coder/);
    assert.equal(c.cacheDir, join(empty, '.flint-cache'));
  });

  it('FLINT_PROVIDER=sim names the simulator, each tier with its own model name', () => {
    const c = loadConfig({ FLINT_PROVIDER: 'sim' }, empty);
    assert.equal(c.tiers.instant.provider, 'sim');
    assert.equal(c.tiers.instant.model, 'flint-sim-instant');
    assert.equal(c.tiers.deep.model, 'flint-sim-deep');
  });

  it('a base URL alone means an OpenAI-compatible tier; a model path alone the local model', () => {
    assert.equal(loadConfig({ FLINT_BASE_URL: 'http://127.0.0.1:8080/v1', FLINT_MODEL: 'm' }, empty).tiers.deep.provider, 'openai');
    const local = loadConfig({ FLINT_MODEL_PATH: '/models/tiny.gguf', FLINT_THREADS: '3' }, empty).tiers.instant;
    assert.deepEqual([local.provider, local.modelPath, local.model, local.threads], ['local', '/models/tiny.gguf', 'tiny', 3]);
  });

  it('lets each tier override the shared variables', () => {
    const c = loadConfig({
      FLINT_PROVIDER: 'openai',
      FLINT_BASE_URL: 'https://api.cerebras.ai/v1',
      FLINT_API_KEY: 'k1',
      FLINT_MODEL: 'fast-model',
      FLINT_DEEP_BASE_URL: 'https://api.openai.com/v1',
      FLINT_DEEP_API_KEY: 'k2',
      FLINT_DEEP_MODEL: 'big-model',
      FLINT_DEEP_PREDICTION: 'true',
    }, empty);
    assert.deepEqual([c.tiers.instant.baseURL, c.tiers.instant.apiKey, c.tiers.instant.model], ['https://api.cerebras.ai/v1', 'k1', 'fast-model']);
    assert.deepEqual([c.tiers.deep.baseURL, c.tiers.deep.apiKey, c.tiers.deep.model], ['https://api.openai.com/v1', 'k2', 'big-model']);
    assert.equal(c.tiers.instant.prediction, false);
    assert.equal(c.tiers.deep.prediction, true);
  });

  it('leaves out the fields Cerebras rejects by default on cerebras.ai, and nowhere else unless told', () => {
    const c = loadConfig({ FLINT_PROVIDER: 'openai', FLINT_BASE_URL: 'https://api.cerebras.ai/v1', FLINT_MODEL: 'm', FLINT_DEEP_BASE_URL: 'https://api.openai.com/v1' }, empty);
    assert.deepEqual(c.tiers.instant.unsupportedFields, CEREBRAS_UNSUPPORTED_FIELDS);
    assert.deepEqual(c.tiers.deep.unsupportedFields, []);
    const custom = loadConfig({ FLINT_BASE_URL: 'https://api.cerebras.ai/v1', FLINT_MODEL: 'm', FLINT_UNSUPPORTED_FIELDS: 'logit_bias, seed' }, empty);
    assert.deepEqual(custom.tiers.instant.unsupportedFields, ['logit_bias', 'seed']);
    const none = loadConfig({ FLINT_BASE_URL: 'https://api.cerebras.ai/v1', FLINT_MODEL: 'm', FLINT_UNSUPPORTED_FIELDS: '' }, empty);
    assert.deepEqual(none.tiers.instant.unsupportedFields, []);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, empty), /PORT/);
    assert.throws(() => loadConfig({ FLINT_INSTANT_PROVIDER: 'openai', FLINT_INSTANT_MODEL: 'm' }, empty), /FLINT_INSTANT_BASE_URL/);
    assert.throws(() => loadConfig({ FLINT_PROVIDER: 'openai', FLINT_BASE_URL: 'http://x/v1' }, empty), /MODEL/);
    assert.throws(() => loadConfig({ FLINT_PROVIDER: 'carrier-pigeon' }, empty), /FLINT_PROVIDER/);
    assert.throws(() => loadConfig({ FLINT_PROVIDER: 'responses', FLINT_MODEL: 'm' }, empty), /BASE_URL/);
    assert.throws(() => loadConfig({ FLINT_PREDICTION: 'sometimes' }, empty), /FLINT_PREDICTION/);
    assert.throws(() => loadConfig({ FLINT_MODEL_PATH: '/models/model.bin' }, empty), /MODEL_PATH/);
  });

  it('threads default to 1 on two cores or fewer', () => {
    assert.equal(defaultThreads(1), 1);
    assert.equal(defaultThreads(2), 1);
    assert.equal(defaultThreads(4), 3);
    assert.equal(defaultThreads(64), 8);
  });
});

describe('flint.config.json', () => {
  it('is read from the working directory, with environment variables over it', () => {
    const dir = dirWithFile(JSON.stringify({
      port: 4000,
      tiers: {
        shared: { provider: 'openai', baseURL: 'https://api.cerebras.ai/v1', model: 'shared-model', params: { temperature: 0.2 } },
        deep: { model: 'deep-model', prediction: true },
      },
      limits: { maxConcurrentStreams: 2 },
    }));
    const c = loadConfig({}, dir);
    assert.equal(c.port, 4000);
    assert.deepEqual([c.tiers.instant.provider, c.tiers.instant.model], ['openai', 'shared-model']);
    assert.deepEqual([c.tiers.deep.model, c.tiers.deep.prediction], ['deep-model', true]);
    assert.deepEqual(c.tiers.deep.params, { temperature: 0.2 });
    assert.equal(c.limits.maxConcurrentStreams, 2);
    const overridden = loadConfig({ PORT: '5000', FLINT_DEEP_MODEL: 'env-model', FLINT_MAX_CONCURRENT_STREAMS: '3' }, dir);
    assert.equal(overridden.port, 5000);
    assert.equal(overridden.tiers.deep.model, 'env-model');
    assert.equal(overridden.limits.maxConcurrentStreams, 3);
  });

  it('a bad file is a clear error naming the file and the field', () => {
    assert.throws(() => loadConfig({}, dirWithFile('{ "port": ')), /flint\.config\.json: not valid JSON/);
    assert.throws(() => loadConfig({}, dirWithFile('{"tiers": {"instant": {"baseURL": "not a url"}}}')), /tiers\.instant\.baseURL/);
    assert.throws(() => loadConfig({}, dirWithFile('{"tiers": {"instant": {"modle": "x"}}}')), /modle/);
    assert.throws(() => loadConfig({}, dirWithFile('{"tiers": {"deep": {"provider": "openai"}}}')), /FLINT_DEEP_BASE_URL/);
  });

  it('FLINT_CONFIG names another file, which must exist', () => {
    const dir = dirWithFile('{"host": "0.0.0.0"}');
    assert.equal(loadConfig({ FLINT_CONFIG: 'flint.config.json' }, dir).host, '0.0.0.0');
    assert.throws(() => loadConfig({ FLINT_CONFIG: 'missing.json' }, dir), /missing\.json: file not found/);
  });
});

describe('limits (issue #8 item 7)', () => {
  const noFile = () => dirWithFile('{}');

  it('have defaults: 16 MiB messages and documents, 1,000 files, 65,536-character prompts, 200 connections per address, 60 prompts a minute', () => {
    const { limits } = loadConfig({}, noFile());
    assert.equal(limits.maxMessageBytes, 16 * 1024 * 1024);
    assert.equal(limits.maxDocBytes, 16 * 1024 * 1024);
    assert.equal(limits.maxFiles, 1000);
    assert.equal(limits.maxPromptChars, 65_536);
    assert.equal(limits.maxConnectionsPerIp, 200);
    assert.equal(limits.promptsPerMinute, 60);
  });

  it('are read from flint.config.json limits.*, with the environment over them', () => {
    const dir = dirWithFile(JSON.stringify({ limits: { maxMessageBytes: 100_000, maxDocBytes: 200_000, maxFiles: 10, maxPromptChars: 500, maxConnectionsPerIp: 7, promptsPerMinute: 3 } }));
    const fromFile = loadConfig({}, dir).limits;
    assert.deepEqual(
      [fromFile.maxMessageBytes, fromFile.maxDocBytes, fromFile.maxFiles, fromFile.maxPromptChars, fromFile.maxConnectionsPerIp, fromFile.promptsPerMinute],
      [100_000, 200_000, 10, 500, 7, 3],
    );
    const env = loadConfig(
      { FLINT_MAX_MESSAGE_BYTES: '65536', FLINT_MAX_DOC_BYTES: '1048576', FLINT_MAX_FILES: '2', FLINT_MAX_PROMPT_CHARS: '1', FLINT_MAX_CONNECTIONS_PER_IP: '5000', FLINT_PROMPTS_PER_MINUTE: '9' },
      dir,
    ).limits;
    assert.deepEqual(
      [env.maxMessageBytes, env.maxDocBytes, env.maxFiles, env.maxPromptChars, env.maxConnectionsPerIp, env.promptsPerMinute],
      [65_536, 1_048_576, 2, 1, 5000, 9],
    );
  });

  it('a bad value stops the start naming the variable or field', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ FLINT_MAX_MESSAGE_BYTES: '1000' }, /FLINT_MAX_MESSAGE_BYTES: at least 65536/],
      [{ FLINT_MAX_MESSAGE_BYTES: 'lots' }, /FLINT_MAX_MESSAGE_BYTES/],
      [{ FLINT_MAX_DOC_BYTES: '10' }, /FLINT_MAX_DOC_BYTES: at least 65536/],
      [{ FLINT_MAX_FILES: '0' }, /FLINT_MAX_FILES/],
      [{ FLINT_MAX_FILES: '2.5' }, /FLINT_MAX_FILES/],
      [{ FLINT_MAX_PROMPT_CHARS: String(2 * 1024 * 1024) }, /FLINT_MAX_PROMPT_CHARS: at most 1048576/],
      [{ FLINT_MAX_CONNECTIONS_PER_IP: '-1' }, /FLINT_MAX_CONNECTIONS_PER_IP/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env, noFile()), message, JSON.stringify(env));
    assert.throws(() => loadConfig({}, dirWithFile('{"limits": {"maxFiles": 0}}')), /limits\.maxFiles/);
    assert.throws(() => loadConfig({}, dirWithFile('{"limits": {"maxDocBytes": "big"}}')), /limits\.maxDocBytes/);
    assert.throws(() => loadConfig({}, dirWithFile('{"limits": {"maxConnectionsPerIp": 1.5}}')), /limits\.maxConnectionsPerIp/);
  });
});

describe('project import limits and the git address rule (issue #20)', () => {
  const noFile = () => dirWithFile('{}');

  it('have defaults: 2,000 files, 32 MiB in all, 8 MiB a file, private addresses refused, 2 min and 100 MiB a clone', () => {
    assert.deepEqual(loadConfig({}, noFile()).projects, {
      maxFiles: 2000,
      maxBytes: 32 * 1024 * 1024,
      maxFileBytes: 8 * 1024 * 1024,
      allowPrivate: false,
      gitTimeoutMs: 120_000,
      gitMaxBytes: 100 * 1024 * 1024,
    });
  });

  it('are read from the environment over flint.config.json', () => {
    const dir = dirWithFile(JSON.stringify({ limits: { importMaxFiles: 5, importAllowPrivate: true, gitTimeoutMs: 5000 } }));
    assert.deepEqual(loadConfig({}, dir).projects, { ...loadConfig({}, noFile()).projects, maxFiles: 5, allowPrivate: true, gitTimeoutMs: 5000 });
    const env = loadConfig(
      { FLINT_IMPORT_MAX_FILES: '7', FLINT_IMPORT_MAX_BYTES: '4096', FLINT_IMPORT_MAX_FILE_BYTES: '2048', FLINT_IMPORT_ALLOW_PRIVATE: 'false', FLINT_GIT_TIMEOUT_MS: '9000', FLINT_GIT_MAX_BYTES: '65536' },
      dir,
    ).projects;
    assert.deepEqual(env, { maxFiles: 7, maxBytes: 4096, maxFileBytes: 2048, allowPrivate: false, gitTimeoutMs: 9000, gitMaxBytes: 65536 });
  });

  it('a bad value stops the start naming the variable', () => {
    for (const [env, message] of [
      [{ FLINT_IMPORT_MAX_FILES: '0' }, /FLINT_IMPORT_MAX_FILES/],
      [{ FLINT_IMPORT_MAX_BYTES: '10' }, /FLINT_IMPORT_MAX_BYTES: at least 1024/],
      [{ FLINT_IMPORT_ALLOW_PRIVATE: 'yes' }, /FLINT_IMPORT_ALLOW_PRIVATE/],
      [{ FLINT_GIT_TIMEOUT_MS: '5' }, /FLINT_GIT_TIMEOUT_MS: at least 1000/],
    ] as Array<[Record<string, string>, RegExp]>) {
      assert.throws(() => loadConfig(env, noFile()), message, JSON.stringify(env));
    }
  });
});

describe('the test sandbox origin', () => {
  it('is unset by default (the IDE picks the loopback counterpart or its own origin)', () => {
    assert.deepEqual(loadConfig({}, empty).sandbox, { origin: undefined, appOrigins: [] });
    assert.deepEqual(loadConfig({ FLINT_SANDBOX_ORIGIN: '' }, empty).sandbox, { origin: undefined, appOrigins: [] });
  });
  it('is read from FLINT_SANDBOX_ORIGIN or sandboxOrigin, normalized, with the app origins that may embed it', () => {
    const env = loadConfig({ FLINT_SANDBOX_ORIGIN: 'https://flint-sandbox.example.net/', FLINT_APP_ORIGINS: 'https://flint.example.com, https://flint.example.org' }, empty);
    assert.deepEqual(env.sandbox, { origin: 'https://flint-sandbox.example.net', appOrigins: ['https://flint.example.com', 'https://flint.example.org'] });
    const file = loadConfig({}, dirWithFile(JSON.stringify({ sandboxOrigin: 'http://sb.test:8080', appOrigins: ['http://app.test:8080'] })));
    assert.deepEqual(file.sandbox, { origin: 'http://sb.test:8080', appOrigins: ['http://app.test:8080'] });
  });
  it('must be an http(s) origin, and needs the app origins', () => {
    assert.throws(() => loadConfig({ FLINT_SANDBOX_ORIGIN: 'https://sb.example.net/path', FLINT_APP_ORIGINS: 'https://a.example' }, empty), /FLINT_SANDBOX_ORIGIN: expected an http\(s\) origin/);
    assert.throws(() => loadConfig({ FLINT_SANDBOX_ORIGIN: 'https://sb.example.net', FLINT_APP_ORIGINS: 'javascript:alert(1)' }, empty), /FLINT_APP_ORIGINS/);
    assert.throws(() => loadConfig({}, dirWithFile('{"sandboxOrigin": "*"}')), /sandboxOrigin: expected an http\(s\) origin/);
    assert.throws(() => loadConfig({ FLINT_SANDBOX_ORIGIN: 'https://sb.example.net' }, empty), /needs FLINT_APP_ORIGINS/);
  });
});
