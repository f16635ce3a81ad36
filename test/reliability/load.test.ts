import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { procUsage } from '../support/processes';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';
import { startSimServer, type SimServer } from '@/server/sim/sim-server';
import { linesIn, closeClients, joinedClient, TEST_IDENTITY } from '../support/protocol-client';
import { tempDataDir } from '../support/data-dir';
import { SIZES, runSeed } from './profile';
import { recordFigures } from './report';
import { BUCKET_MS, BUCKETS, type LoadJob, type LoadResult } from './load-shared';

/**
 * Load: SIZES.loadClients socket.io clients (in two worker threads) across SIZES.loadSessions
 * sessions of Flint running as its own process, SIZES.loadStreams of the sessions keeping a
 * 1,000 tok/s stream running (prompting again as one ends) for SIZES.loadSeconds. In each
 * session a few clients edit (acknowledged `doc:update`s) and the rest watch. The simulator runs
 * in this process's main thread, which does nothing else meanwhile.
 *
 * Passes when nothing failed: no protocol error, no disconnect, every edit acknowledged, every
 * stream ended `done`, and each session converged — every client and the server have the same
 * file, holding every acknowledged edit, with no turn left streaming. Latency (simulator write →
 * `ai:delta` at each client, as bench/lib/scale measures it), CPU and memory are reported, not
 * asserted.
 */
const CLIENTS = SIZES.loadClients;
const SESSIONS = SIZES.loadSessions;
const STREAMS = Math.min(SIZES.loadStreams, SESSIONS);
const SECONDS = SIZES.loadSeconds;
const THREADS = 2;
const SEED = runSeed();
const STREAM_TOKENS = 2000;

describe('load', () => {
  let flint: FlintProcess | undefined;
  let sim: SimServer | undefined;
  let dataDir: string | undefined;
  const workers: Worker[] = [];
  after(async () => {
    closeClients();
    await Promise.all(workers.map((w) => w.terminate()));
    await flint?.kill();
    await sim?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${CLIENTS} clients in ${SESSIONS} sessions, ${STREAMS} streams at 1,000 tok/s for ${SECONDS} s: no errors, no lost edits (seed ${SEED})`, { timeout: (SECONDS + 240) * 1000 }, async () => {
    assert.ok(CLIENTS >= SESSIONS, 'at least one client per session');
    const replay = `(replay: FLINT_SEED=${SEED})`;
    sim = await startSimServer({ tokensPerSecond: 1000 });
    dataDir = await tempDataDir('flint-load-');
    flint = await startFlintProcess({
      FLINT_DATA_DIR: dataDir,
      FLINT_PROVIDER: 'openai',
      FLINT_BASE_URL: `${sim.url}/v1`,
      FLINT_MODEL: 'flint-sim',
      FLINT_API_KEY: 'sim',
      FLINT_MAX_CONCURRENT_STREAMS: String(Math.max(50, STREAMS)),
      FLINT_PROMPTS_PER_MINUTE: '1000000',
      FLINT_MAX_CONNECTIONS_PER_IP: String(CLIENTS * 5),
    });

    // Sessions dealt to the threads in turn; the first STREAMS sessions stream.
    const perThread: boolean[][] = Array.from({ length: THREADS }, () => []);
    for (let s = 0; s < SESSIONS; s++) perThread[s % THREADS].push(s < STREAMS);
    const clientsPerSession = Math.floor(CLIENTS / SESSIONS);
    const editorsPerSession = Math.max(1, Math.min(3, Math.floor(clientsPerSession / 3)));
    const connectStart = performance.now();
    const done: Array<Promise<LoadResult>> = [];
    const ready: Array<Promise<void>> = [];
    for (const [id, sessions] of perThread.entries()) {
      const job: LoadJob = {
        appUrl: flint.url,
        simUrl: sim.url,
        identity: TEST_IDENTITY,
        id,
        seed: SEED,
        sessions,
        clientsPerSession,
        editorsPerSession,
        editEveryMs: [500, 1500],
        tokens: STREAM_TOKENS,
        tps: 1000,
      };
      const w = new Worker(new URL('./load-worker.mjs', import.meta.url), { workerData: job });
      workers.push(w);
      const messages: Array<{ type: string }> = [];
      const waiters = new Map<string, (m: unknown) => void>();
      w.on('message', (m: { type: string }) => {
        const f = waiters.get(m.type);
        if (f) f(m);
        else messages.push(m);
      });
      const next = <T>(type: string) =>
        new Promise<T>((resolve, reject) => {
          const i = messages.findIndex((m) => m.type === type);
          if (i >= 0) return resolve(messages.splice(i, 1)[0] as T);
          waiters.set(type, resolve as (m: unknown) => void);
          w.once('error', reject);
        });
      ready.push(next('ready'));
      done.push(next<LoadResult>('done'));
      (w as Worker & { next?: typeof next }).next = next;
    }
    await Promise.all(ready);
    const connectMs = performance.now() - connectStart;

    const idle = procUsage(flint.child.pid!);
    const own0 = { all: procUsage(process.pid).cpuMs, main: threadCpuMs() };
    const loadAverage = os.loadavg()[0];
    const t0 = performance.now();
    let rssPeak = idle.rssBytes;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, procUsage(flint!.child.pid!).rssBytes)), 250);
    for (const w of workers) w.postMessage({ endAt: performance.timeOrigin + performance.now() + SECONDS * 1000 });
    const results = await Promise.all(done);
    clearInterval(sampler);
    const busy = procUsage(flint.child.pid!);
    const own1 = { all: procUsage(process.pid).cpuMs, main: threadCpuMs() };
    const elapsed = performance.now() - t0;

    // The server's view of every session, once the clients have converged.
    const lost: string[] = [];
    const diverged: string[] = [];
    const stuck: string[] = [];
    for (const s of results.flatMap((r) => r.sessions)) {
      const { state } = await joinedClient(flint.url, s.sessionId);
      closeClients();
      const doc = new Y.Doc();
      Y.applyUpdate(doc, state);
      const text = readFile(doc, 'src/cart.ts') ?? '';
      if (s.texts.some((t) => t !== text)) diverged.push(s.sessionId);
      const present = linesIn(text);
      lost.push(...s.acked.filter((l) => !present.has(l)));
      if (readThread(doc).some((t) => t.status === 'streaming') || s.turnsStreaming) stuck.push(s.sessionId);
    }
    for (const w of workers) {
      w.postMessage({ type: 'close' });
      await (w as Worker & { next: (t: string) => Promise<unknown> }).next('closed');
    }

    const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
    const all = <T>(f: (r: LoadResult) => T[]) => results.flatMap(f);
    const merge = (f: (r: LoadResult) => Record<string, number>) =>
      results.reduce<Record<string, number>>((acc, r) => {
        for (const [k, v] of Object.entries(f(r))) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {});
    const ends = merge((r) => r.streamEnds);
    const errors = merge((r) => r.streamErrors);
    const histogram = new Uint32Array(BUCKETS);
    for (const r of results) for (let i = 0; i < BUCKETS; i++) histogram[i] += r.histogram[i];

    recordFigures('load', {
      seed: SEED,
      clients: clientsPerSession * SESSIONS,
      sessions: SESSIONS,
      streams: STREAMS,
      seconds: SECONDS,
      connectSeconds: Number((connectMs / 1000).toFixed(1)),
      editsAcked: sum((r) => r.editsAcked),
      streamsDone: ends.done ?? 0,
      deltasReceived: sum((r) => r.deltas),
      addedLatencyP50Ms: quantileMs(histogram, 0.5),
      addedLatencyP99Ms: quantileMs(histogram, 0.99),
      serverCpuPct: Math.round(((busy.cpuMs - idle.cpuMs) / elapsed) * 100),
      serverRssMb: Math.round(rssPeak / 1e6),
      tokensPerSecondPerStream: Math.round(((ends.done ?? 0) * STREAM_TOKENS) / SECONDS / STREAMS),
      simulatorCpuPct: Math.round(((own1.main - own0.main) / elapsed) * 100),
      loadGeneratorCpuPct: Math.round(((own1.all - own1.main - (own0.all - own0.main)) / elapsed) * 100),
      machineLoadAverage: Number(loadAverage.toFixed(1)),
    });

    assert.deepEqual(all((r) => r.protocolErrors), [], `protocol errors ${replay}`);
    assert.deepEqual(all((r) => r.disconnects), [], `disconnects ${replay}`);
    assert.deepEqual(all((r) => r.editsFailed), [], `edits refused ${replay}`);
    assert.deepEqual(all((r) => r.promptFailures), [], `prompts refused ${replay}`);
    assert.deepEqual(errors, {}, `streams that ended with an error ${replay}`);
    assert.deepEqual(Object.keys(ends), ['done'], `every stream ends done ${replay}`);
    assert.ok(sum((r) => r.streamsMeasured) >= STREAMS, `every streaming session completed a stream ${replay}`);
    assert.ok(sum((r) => r.editsAcked) > 0, 'edits were made');
    assert.deepEqual(lost, [], `acknowledged edits missing on the server ${replay}`);
    assert.deepEqual(diverged, [], `sessions whose clients and server differ ${replay}`);
    assert.deepEqual(stuck, [], `sessions with a turn left streaming ${replay}`);
    await flint.stop();
    assert.equal(flint.child.exitCode, 0, `clean stop:\n${flint.output().slice(-2000)}`);
    flint = undefined;
  });
});

/** CPU time of this process's main thread (the simulator's), from /proc. */
function threadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function quantileMs(histogram: Uint32Array, q: number): number {
  const total = histogram.reduce((n, c) => n + c, 0);
  if (!total) return NaN;
  const target = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= target) return Number(((i + 1) * BUCKET_MS).toFixed(1));
  }
  return NaN;
}
