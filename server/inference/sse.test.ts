import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sseData } from './sse';

async function collect(parts: Array<string | Uint8Array>): Promise<string[]> {
  const enc = new TextEncoder();
  async function* body() {
    for (const p of parts) yield typeof p === 'string' ? enc.encode(p) : p;
  }
  const out: string[] = [];
  for await (const d of sseData(body())) out.push(d);
  return out;
}

describe('sseData', () => {
  const text = 'data: {"a":1}\n\n: comment\nevent: x\ndata: {"b":"é🎉"}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
  const expected = ['{"a":1}', '{"b":"é🎉"}', 'line1\nline2', '[DONE]'];

  it('reads events whole', async () => assert.deepEqual(await collect([text]), expected));

  it('reads events split at every byte', async () => {
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(await collect([bytes.slice(0, cut), bytes.slice(cut)]), expected, `cut at ${cut}`);
    }
    assert.deepEqual(await collect([...bytes].map((b) => Uint8Array.of(b))), expected);
  });

  it('accepts CRLF line ends and "data:" without a space', async () => {
    assert.deepEqual(await collect(['data:{"a":1}\r\n\r\ndata: x\r\n\r\n']), ['{"a":1}', 'x']);
  });

  it('delivers a last event that lacks its blank line', async () => {
    assert.deepEqual(await collect(['data: a\n\ndata: b']), ['a', 'b']);
  });
});
