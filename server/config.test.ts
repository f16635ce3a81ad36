import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('runs on embedded defaults: both tiers on the simulator', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.tiers.instant, { provider: 'sim', baseURL: undefined, apiKey: undefined, model: 'flint-sim-instant' });
    assert.equal(c.tiers.deep.model, 'flint-sim-deep');
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
    });
    assert.deepEqual(c.tiers.instant, { provider: 'openai', baseURL: 'https://api.cerebras.ai/v1', apiKey: 'k1', model: 'fast-model' });
    assert.deepEqual(c.tiers.deep, { provider: 'openai', baseURL: 'https://api.openai.com/v1', apiKey: 'k2', model: 'big-model' });
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ FLINT_INSTANT_PROVIDER: 'openai', FLINT_INSTANT_MODEL: 'm' }), /FLINT_INSTANT_BASE_URL/);
    assert.throws(() => loadConfig({ FLINT_PROVIDER: 'openai', FLINT_BASE_URL: 'http://x/v1' }), /MODEL/);
    assert.throws(() => loadConfig({ FLINT_PROVIDER: 'carrier-pigeon' }), /FLINT_INSTANT_PROVIDER/);
  });
});
