import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowedParent, loopbackCounterpart, normalizeOrigin, placeSandbox, sandboxSettingsFromEnv, sandboxUrl } from './origin';

describe('where the sandbox is served from', () => {
  it('localhost and 127.0.0.1 trade places, same scheme and port', () => {
    assert.equal(loopbackCounterpart('http://localhost:3000'), 'http://127.0.0.1:3000');
    assert.equal(loopbackCounterpart('http://127.0.0.1:3833'), 'http://localhost:3833');
    assert.equal(loopbackCounterpart('https://localhost'), 'https://127.0.0.1');
    assert.equal(loopbackCounterpart('http://flint.example.com'), null);
    assert.equal(loopbackCounterpart('http://[::1]:3000'), null);
    assert.equal(loopbackCounterpart('not a url'), null);
  });
  it('an IDE at a loopback name gets the other name: another site, so another process', () => {
    assert.deepEqual(placeSandbox('http://127.0.0.1:3000', null), { origin: 'http://localhost:3000', ownProcess: true });
    assert.deepEqual(placeSandbox('http://localhost:3000', undefined), { origin: 'http://127.0.0.1:3000', ownProcess: true });
  });
  it('any other host without configuration keeps its own origin, and says isolation is not ensured', () => {
    assert.deepEqual(placeSandbox('https://flint.example.com', null), { origin: 'https://flint.example.com', ownProcess: false });
  });
  it('a configured origin wins, normalized', () => {
    assert.deepEqual(placeSandbox('https://flint.example.com', 'https://flint-sandbox.example.net/'), { origin: 'https://flint-sandbox.example.net', ownProcess: true });
    // Configured as the IDE's own origin: the old behaviour, stated as such.
    assert.deepEqual(placeSandbox('http://127.0.0.1:3000', 'http://127.0.0.1:3000'), { origin: 'http://127.0.0.1:3000', ownProcess: false });
  });
  it('the URL carries the IDE origin for the route to check', () => {
    assert.equal(sandboxUrl({ origin: 'http://localhost:3000', ownProcess: true }, 'http://127.0.0.1:3000'), 'http://localhost:3000/sandbox?ide=http%3A%2F%2F127.0.0.1%3A3000');
  });
  it('only http(s) origins, without path, query or credentials, are origins', () => {
    assert.equal(normalizeOrigin('https://a.example/'), 'https://a.example');
    assert.equal(normalizeOrigin('HTTPS://A.example:443'), 'https://a.example');
    for (const bad of ['https://a.example/path', 'https://a.example/?q', 'https://u:p@a.example', 'javascript:alert(1)', 'file:///etc', 'null', '*', '']) {
      assert.equal(normalizeOrigin(bad), null, bad);
    }
  });
});

describe('which pages may embed the sandbox (frame-ancestors)', () => {
  it('the same origin, and the loopback counterpart of the host the request came to', () => {
    assert.equal(allowedParent('http://127.0.0.1:3000', '127.0.0.1:3000', []), 'http://127.0.0.1:3000');
    assert.equal(allowedParent('http://127.0.0.1:3000', 'localhost:3000', []), 'http://127.0.0.1:3000');
    assert.equal(allowedParent('http://localhost:3000', '127.0.0.1:3000', []), 'http://localhost:3000');
  });
  it('not another port, another host, or anything that is not an origin', () => {
    assert.equal(allowedParent('http://127.0.0.1:4000', 'localhost:3000', []), null);
    assert.equal(allowedParent('https://evil.example', 'localhost:3000', []), null);
    assert.equal(allowedParent('https://evil.example', 'evil.example', ['https://flint.example.com']), 'https://evil.example'); // same origin as the request
    assert.equal(allowedParent('*', 'localhost:3000', []), null);
    assert.equal(allowedParent(null, 'localhost:3000', []), null);
    assert.equal(allowedParent('http://127.0.0.1:3000', null, []), null);
  });
  it('configured app origins, exactly', () => {
    const apps = ['https://flint.example.com'];
    assert.equal(allowedParent('https://flint.example.com', 'flint-sandbox.example.net', apps), 'https://flint.example.com');
    assert.equal(allowedParent('https://flint.example.com:8443', 'flint-sandbox.example.net', apps), null);
    assert.equal(allowedParent('http://flint.example.com', 'flint-sandbox.example.net', apps), null);
  });
});

describe('the settings server/main.ts leaves for the Next side', () => {
  it('reads the validated origin and app origins; unset or empty means none', () => {
    assert.deepEqual(sandboxSettingsFromEnv({}), { origin: undefined, appOrigins: [] });
    assert.deepEqual(sandboxSettingsFromEnv({ FLINT_SANDBOX_ORIGIN: '', FLINT_APP_ORIGINS: '' }), { origin: undefined, appOrigins: [] });
    assert.deepEqual(
      sandboxSettingsFromEnv({ FLINT_SANDBOX_ORIGIN: 'https://sandbox.example.net', FLINT_APP_ORIGINS: 'https://flint.example.com,https://flint.example.com:8443' }),
      { origin: 'https://sandbox.example.net', appOrigins: ['https://flint.example.com', 'https://flint.example.com:8443'] },
    );
  });
});
