import { parentPort, workerData } from 'node:worker_threads';
import { readThread } from '@/lib/collab/thread';
import type { Response } from '@/lib/protocol';
import { deliveryLags } from '../support/stats';
import { simClockOffset } from '../support/sim-clock';
import type { SimTiming } from '@/server/sim/sim-server';
import { EditingClient, joinedClient, requestWithin, type TestClient } from '../support/protocol-client';
import { int, prng } from './random';
import { BUCKET_MS, BUCKETS, type LoadJob, type LoadResult } from './load-shared';

/**
 * One load-generator thread of load.test.ts (socket.io clients in worker threads, as
 * bench/lib/scale-worker.ts): its sessions, `clientsPerSession` clients each. The first
 * `editorsPerSession` clients of a session edit (`doc:update`, acknowledged), the rest watch;
 * in a streaming session the first client prompts again whenever its stream ends. Every client
 * records its `ai:delta` arrivals; with the simulator's write times (same clock after
 * calibration) they give the latency the server adds to each upstream write, for every client.
 */
const job = workerData as LoadJob;
const random = prng(job.seed + job.id);
const now = () => performance.timeOrigin + performance.now();
/** The server is as busy as the test can make it: answers may take long. */
const TIMEOUT_MS = 60_000;

const histogram = new Uint32Array(BUCKETS);
let deltas = 0;
let editsAcked = 0;
let streamsMeasured = 0;
const editsFailed: string[] = [];
const protocolErrors: string[] = [];
const disconnects: string[] = [];
const promptFailures: string[] = [];
const streamEnds: Record<string, number> = {};
const streamErrors: Record<string, number> = {};
let stopping = false;

interface Client {
  socket: TestClient;
  editor: EditingClient;
  /** streamId → flattened [arrival, charsSoFar, …]. */
  arrivals: Map<string, number[]>;
  ended: Map<string, () => void>;
  endedIds: Set<string>;
}

async function client(sessionId: string | undefined, label: string): Promise<{ c: Client; sessionId: string }> {
  const joined = await joinedClient(job.appUrl, sessionId, { identity: job.identity, timeoutMs: TIMEOUT_MS });
  const socket = joined.socket;
  const c: Client = {
    socket,
    editor: new EditingClient(socket, joined.state, label),
    arrivals: new Map(),
    ended: new Map(),
    endedIds: new Set(),
  };
  socket.on('protocol:error', (e: { code: string; message: string }) => protocolErrors.push(`${label}: ${e.code} ${e.message}`));
  socket.on('disconnect', (reason: string) => !stopping && disconnects.push(`${label}: ${reason}`));
  socket.on('ai:delta', (e: { streamId: string; text: string }) => {
    deltas++;
    let a = c.arrivals.get(e.streamId);
    if (!a) c.arrivals.set(e.streamId, (a = []));
    a.push(now(), (a.at(-1) ?? 0) + e.text.length);
  });
  socket.on('ai:end', (e: { streamId: string }) => {
    c.endedIds.add(e.streamId);
    c.ended.get(e.streamId)?.();
  });
  return { c, sessionId: joined.sessionId };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(lag: number) {
  histogram[Math.min(BUCKETS - 1, Math.max(0, Math.floor(lag / BUCKET_MS)))]++;
}

async function edit(c: Client, endAt: number) {
  while (now() < endAt) {
    await sleep(int(random, job.editEveryMs[0], job.editEveryMs[1]));
    if (now() >= endAt) break;
    try {
      await c.editor.edit(random);
      editsAcked++;
    } catch (err) {
      editsFailed.push(`${c.editor.name}: ${(err as Error).message}`);
    }
  }
}

async function stream(clients: Client[], endAt: number, offset: number, tag: string) {
  const prompter = clients[0];
  let seq = 0;
  while (now() < endAt) {
    const m = `load${job.id}x${tag}x${seq++}`;
    await fetch(`${job.simUrl}/_sim/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: m, tokens: job.tokens, tokensPerSecond: job.tps, times: 1 }),
    });
    let streamId = '';
    const endedBy: Promise<void>[] = [];
    const statusP = new Promise<{ status: string; error?: { code: string } }>((resolve) => {
      const on = (e: { streamId: string; status: string; error?: { code: string } }) => {
        if (e.streamId !== streamId) return;
        prompter.socket.off('ai:end', on);
        resolve(e);
      };
      prompter.socket.on('ai:end', on);
    });
    let r: Response<{ streamId: string }>;
    try {
      r = await requestWithin<{ streamId: string }>(TIMEOUT_MS, prompter.socket, 'ai:prompt', { prompt: `Load ${m}`, path: 'src/cart.ts', mode: 'instant' });
    } catch (err) {
      promptFailures.push(`${m}: ${(err as Error).message}`);
      continue;
    }
    if (!r.ok) {
      promptFailures.push(`${m}: ${r.error.code} ${r.error.message}`);
      await sleep(100);
      continue;
    }
    streamId = r.data.streamId;
    for (const c of clients) {
      if (c.endedIds.has(streamId)) continue;
      endedBy.push(new Promise<void>((resolve) => c.ended.set(streamId, resolve)));
    }
    const end = await statusP;
    streamEnds[end.status] = (streamEnds[end.status] ?? 0) + 1;
    if (end.error) streamErrors[end.error.code] = (streamErrors[end.error.code] ?? 0) + 1;
    // Every client of the session has the whole stream once its ai:end is in (same order for all).
    await Promise.all(endedBy);
    const timing = ((await (await fetch(`${job.simUrl}/_sim/timings?match=${m}`)).json()) as SimTiming[]).at(-1);
    for (const c of clients) {
      const arrivals = c.arrivals.get(streamId) ?? [];
      c.arrivals.delete(streamId);
      c.ended.delete(streamId);
      c.endedIds.delete(streamId);
      if (timing) for (const x of deliveryLags(timing.writes, arrivals, offset)) record(x.lag);
    }
    if (timing) streamsMeasured++;
  }
}

const offset = await simClockOffset(job.simUrl);
const sessions: Array<{ id: string; clients: Client[]; streaming: boolean }> = [];
for (const [s, streaming] of job.sessions.entries()) {
  const first = await client(undefined, `w${job.id}s${s}c0`);
  const rest = await Promise.all(Array.from({ length: job.clientsPerSession - 1 }, (_, i) => client(first.sessionId, `w${job.id}s${s}c${i + 1}`)));
  sessions.push({ id: first.sessionId, clients: [first.c, ...rest.map((r) => r.c)], streaming });
}
parentPort!.postMessage({ type: 'ready' });
const { endAt } = await new Promise<{ endAt: number }>((resolve) => parentPort!.once('message', resolve));

await Promise.all(
  sessions.flatMap((s, i) => [
    ...s.clients.slice(0, job.editorsPerSession).map((c) => edit(c, endAt)),
    ...(s.streaming ? [stream(s.clients, endAt, offset, String(i))] : []),
  ]),
);
await Promise.all(sessions.flatMap((s) => s.clients.map((c) => c.editor.settled())));

// Converged: every client of a session ends with the same file (updates may still be on their way).
const texts = (s: (typeof sessions)[number]) => s.clients.map((c) => c.editor.text());
const until = now() + 30_000;
while (now() < until && sessions.some((s) => new Set(texts(s)).size > 1)) await sleep(50);
parentPort!.postMessage({
  type: 'done',
  sessions: sessions.map((s) => ({
    sessionId: s.id,
    acked: s.clients.flatMap((c) => c.editor.acked),
    texts: texts(s),
    turnsStreaming: readThread(s.clients[0].editor.doc).filter((t) => t.status === 'streaming').length,
  })),
  histogram,
  deltas,
  editsAcked,
  editsFailed,
  protocolErrors,
  disconnects,
  streamEnds,
  streamErrors,
  promptFailures,
  streamsMeasured,
} satisfies LoadResult);
// Closing is the parent's call (after it checked the server): wait to be told.
await new Promise((resolve) => parentPort!.once('message', resolve));
stopping = true;
for (const s of sessions) for (const c of s.clients) c.socket.disconnect();
parentPort!.postMessage({ type: 'closed' });
