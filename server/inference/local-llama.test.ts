import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TierStatus } from '@/lib/protocol';
import { FlintError } from '../errors';
import { createLocalLlamaProvider } from './local-llama';
import { describeDownloadError } from './model-download';
import { tinyGguf, writeTinyGguf } from './tiny-gguf';
import type { InferenceProvider } from './types';

/**
 * The local provider over a tiny random-weights GGUF written here (never a downloaded model):
 * real node-llama-cpp load, stream and abort; the default-model download from a local HTTP
 * server; and the paths where no model can be had (offline, unwritable cache, missing file).
 */

const dir = mkdtempSync(join(tmpdir(), 'flint-llama-'));
const messages = [
  { role: 'system' as const, content: 'You write TypeScript.' },
  { role: 'user' as const, content: 'function add(a, b) {' },
];

async function until(cond: () => boolean, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local GGUF provider (node-llama-cpp)', () => {
  let provider: InferenceProvider;
  before(async () => {
    const modelPath = await writeTinyGguf(join(dir, 'tiny.gguf'));
    provider = createLocalLlamaProvider({ name: 'local', model: 'tiny', modelPath, threads: 1, maxTokens: 64 });
  });
  after(() => provider.close?.());

  it('loads lazily: nothing happens until warm() or a prompt, then it is ready', async () => {
    assert.equal(provider.status!().state, 'ready');
    const seen: string[] = [];
    const off = provider.onStatus!((s) => seen.push(s.state));
    provider.warm!();
    await until(() => seen.at(-1) === 'ready', 'the model to load');
    off();
    assert.deepEqual(seen, ['warming', 'ready']);
  });

  it('streams text deltas and token usage', async () => {
    let text = '';
    let deltas = 0;
    let usage = 0;
    for await (const e of provider.stream({ messages }, new AbortController().signal)) {
      if (e.type === 'delta') {
        text += e.text;
        deltas++;
      } else usage = e.completionTokens;
    }
    assert.ok(deltas > 1, `got ${deltas} deltas`);
    assert.ok(text.length > 0);
    assert.ok(usage > 0);
  });

  it('an abort ends the stream at once and generation within one decode step; the model is then free for the next prompt', async () => {
    let generatedAfterAbort = 0;
    const long = createLocalLlamaProvider({
      name: 'local',
      model: 'tiny',
      modelPath: join(dir, 'tiny.gguf'),
      threads: 1,
      maxTokens: 400,
      onGenerated: (afterAbort) => void (afterAbort && generatedAfterAbort++),
    });
    const ac = new AbortController();
    let afterAbort = 0;
    let before = 0;
    for await (const e of long.stream({ messages }, ac.signal)) {
      if (e.type !== 'delta') continue;
      if (ac.signal.aborted) afterAbort++;
      else if (++before === 3) ac.abort(new Error('interrupted'));
    }
    assert.equal(before, 3);
    assert.equal(afterAbort, 0);
    // The model itself stopped: at most the token being decoded when the signal fired came out.
    assert.ok(generatedAfterAbort <= 1, `${generatedAfterAbort} chunks generated after the abort (max 400 were allowed)`);
    // The model is free again: the next prompt runs.
    let n = 0;
    for await (const e of long.stream({ messages }, new AbortController().signal)) if (e.type === 'delta') n++;
    assert.ok(n > 0);
    await long.close!();
  });

  it('a missing model file is "unavailable" with the reason and how to configure a tier', async () => {
    const missing = createLocalLlamaProvider({ name: 'local', model: 'gone', modelPath: join(dir, 'gone.gguf'), threads: 1 });
    const err = await (async () => {
      for await (const _ of missing.stream({ messages }, new AbortController().signal));
    })().catch((e) => e);
    assert.ok(err instanceof FlintError && err.code === 'tierUnavailable', String(err));
    assert.match(err.message, /gone\.gguf does not exist/);
    const s = missing.status!();
    assert.equal(s.state, 'unavailable');
    assert.match(s.help ?? '', /FLINT_BASE_URL/);
    assert.match(s.help ?? '', /FLINT_MODEL_PATH/);
  });

  it('a file that is not a model is "unavailable", not a crash', async () => {
    writeFileSync(join(dir, 'junk.gguf'), 'this is not a model');
    const junk = createLocalLlamaProvider({ name: 'local', model: 'junk', modelPath: join(dir, 'junk.gguf'), threads: 1 });
    junk.warm!();
    await until(() => junk.status!().state === 'unavailable', 'unavailable');
    assert.match(junk.status!().reason ?? '', /could not be loaded/);
  });
});

describe('the default model, downloaded on first use', () => {
  let server: http.Server;
  let url: string;
  let downloads = 0;
  const model = tinyGguf({ seed: 7 });
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/models/default-coder.gguf') return res.writeHead(404).end();
      downloads++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(model.length) });
      // In several pieces, so progress is reported more than once.
      let at = 0;
      const step = Math.ceil(model.length / 8);
      const next = () => {
        if (at >= model.length) return res.end();
        res.write(model.subarray(at, at + step), () => setImmediate(next));
        at += step;
      };
      next();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/default-coder.gguf`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads into the cache with progress (bytes, %, ETA), then loads and streams; the next start reuses the file', async () => {
    const cacheDir = join(dir, 'cache-ok');
    const lines: string[] = [];
    const p = createLocalLlamaProvider({ name: 'local', model: 'default-coder', download: { url, cacheDir }, threads: 1, maxTokens: 16, log: (l) => lines.push(l) });
    const states: TierStatus[] = [];
    p.onStatus!((s) => states.push(s));
    p.warm!();
    await until(() => p.status!().state === 'ready' || p.status!().state === 'unavailable', 'the download and load');
    assert.equal(p.status!().state, 'ready', JSON.stringify(p.status!()));
    const progress = states.filter((s) => s.state === 'downloading').map((s) => s.progress!);
    assert.ok(progress.length >= 2, `${progress.length} progress reports`);
    assert.equal(progress.at(-1)!.bytes, model.length);
    assert.equal(progress.at(-1)!.totalBytes, model.length);
    assert.equal(progress.at(-1)!.percent, 100);
    assert.ok(progress.every((x, i) => i === 0 || x.bytes >= progress[i - 1].bytes));
    assert.ok(progress.some((x) => x.etaSeconds !== null));
    assert.ok(lines.some((l) => /downloading default-coder \d+%/.test(l)), lines.join('\n'));
    assert.ok(existsSync(join(cacheDir, 'default-coder.gguf')));
    assert.equal(existsSync(join(cacheDir, 'default-coder.gguf.part')), false);
    let n = 0;
    for await (const e of p.stream({ messages }, new AbortController().signal)) if (e.type === 'delta') n++;
    assert.ok(n > 0);
    await p.close!();

    const again = createLocalLlamaProvider({ name: 'local', model: 'default-coder', download: { url, cacheDir }, threads: 1 });
    const before = downloads;
    again.warm!();
    await until(() => again.status!().state === 'ready', 'ready from the cache');
    assert.equal(downloads, before);
    await again.close!();
  });

  it('offline: unavailable, saying so plainly and how to configure a tier; a prompt gets the same typed error', async () => {
    const p = createLocalLlamaProvider({ name: 'local', model: 'default-coder', download: { url: 'http://127.0.0.1:1/models/x.gguf', cacheDir: join(dir, 'cache-offline') }, threads: 1 });
    p.warm!();
    await until(() => p.status!().state === 'unavailable', 'unavailable');
    assert.match(p.status!().reason ?? '', /not reachable \(offline\?\)/);
    assert.match(p.status!().help ?? '', /FLINT_PROVIDER=sim/);
    const err = await (async () => {
      for await (const _ of p.stream({ messages }, new AbortController().signal));
    })().catch((e) => e);
    assert.ok(err instanceof FlintError && err.code === 'tierUnavailable');
    assert.match(err.message, /offline/);
  });

  it('a cache directory that cannot be written is reported as such', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const p = createLocalLlamaProvider({ name: 'local', model: 'default-coder', download: { url, cacheDir: join(file, 'cache') }, threads: 1 });
    p.warm!();
    await until(() => p.status!().state === 'unavailable', 'unavailable');
    assert.match(p.status!().reason ?? '', /Cannot write the model cache/);
  });

  it('a disk-full or network failure is described in words', () => {
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    assert.match(describeDownloadError(full, url, '/cache').message, /The disk is full/);
    assert.equal(describeDownloadError(new TypeError('fetch failed'), url, '/cache').kind, 'offline');
  });
});
