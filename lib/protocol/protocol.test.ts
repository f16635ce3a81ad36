import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_EVENT_ANSWERS, CLIENT_EVENT_SCHEMAS, FilePath, PromptPayload, RetryPayload, SERVER_EVENT_SCHEMAS, SessionId } from './index';

describe('FilePath', () => {
  for (const ok of ['src/cart.ts', 'README.md', 'a/b/c-d_e.test.tsx', '@scope/x.js', 'with space', 'docs/café.md']) {
    it(`accepts ${ok}`, () => assert.ok(FilePath.safeParse(ok).success));
  }
  for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', 'a/', 'tab\there', 'x'.repeat(300), 'a\\b', './a']) {
    it(`rejects ${JSON.stringify(bad).slice(0, 20)}`, () => assert.equal(FilePath.safeParse(bad).success, false));
  }
});

describe('payload schemas', () => {
  it('reject unknown fields (strict), so typos surface as errors', () => {
    assert.equal(PromptPayload.safeParse({ prompt: 'x', path: 'a.ts', extra: 1 }).success, false);
  });
  it('trim prompts and reject empty ones', () => {
    assert.equal(PromptPayload.safeParse({ prompt: '   ', path: 'a.ts' }).success, false);
    assert.equal(PromptPayload.parse({ prompt: ' go ', path: 'a.ts' }).prompt, 'go');
  });
  it('a retry names a turn; automatic only when asked, nothing else', () => {
    assert.deepEqual(RetryPayload.parse({ turnId: 't1' }), { turnId: 't1', auto: false });
    assert.equal(RetryPayload.safeParse({ turnId: 't1', prompt: 'x' }).success, false);
    assert.equal(RetryPayload.safeParse({ turnId: '' }).success, false);
  });
  it('reject a selection whose start is after its end', () => {
    assert.equal(PromptPayload.safeParse({ prompt: 'x', path: 'a.ts', selection: { start: 5, end: 2 } }).success, false);
  });
  it('accept only 22-character base64url session ids', () => {
    assert.ok(SessionId.safeParse('AAAAAAAAAAAAAAAAAAAAAA').success);
    assert.equal(SessionId.safeParse('AAAA').success, false);
    assert.equal(SessionId.safeParse('AAAAAAAAAAAAAAAAAAAA/A').success, false);
  });
  it('name every event domain:verb', () => {
    for (const name of Object.keys(CLIENT_EVENT_SCHEMAS)) assert.match(name, /^[a-z]+:[a-z]+$/);
  });
});

describe('event tables', () => {
  it('give every client event an answer schema, and every server event a payload schema', () => {
    assert.deepEqual(Object.keys(CLIENT_EVENT_ANSWERS).sort(), Object.keys(CLIENT_EVENT_SCHEMAS).sort());
    for (const name of Object.keys(SERVER_EVENT_SCHEMAS)) assert.match(name, /^[a-z]+:[a-z]+$/);
  });
  it('catch an answer or an event that left the protocol', () => {
    assert.equal(CLIENT_EVENT_ANSWERS['session:join'].safeParse({ sessionId: 'x' }).success, false);
    assert.ok(CLIENT_EVENT_ANSWERS['session:join'].safeParse({ sessionId: 'x', state: new Uint8Array(2), tiers: { instant: { provider: 'sim', model: 'm' }, deep: { provider: 'sim', model: 'm' } }, role: 'owner', pid: 'p' }).success);
    assert.equal(SERVER_EVENT_SCHEMAS['ai:delta'].safeParse({ streamId: 's', seq: 1, text: 'x' }).success, false);
    assert.equal(SERVER_EVENT_SCHEMAS['doc:update'].safeParse('not bytes').success, false);
    assert.ok(SERVER_EVENT_SCHEMAS['doc:update'].safeParse(Buffer.from([1, 2])).success);
  });
});
