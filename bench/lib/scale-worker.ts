import { parentPort, workerData } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../../lib/protocol/version';
import type { SimTiming } from '../../server/sim/sim-server';
import { deliveryLags } from '../../test/support/stats';
import { simClockOffset } from '../../test/support/sim-clock';

/**
 * One load-generator thread (bench/lib/scale.ts): `sessions` sessions, each running one
 * 1,000 tok/s stream after another until `endAt`. For each stream it pairs the simulator's
 * write times with the `ai:delta` arrival times (same clock after calibration) and reports the
 * lag of every upstream write: the latency Flint's server adds (plus this thread's own delay).
 */
interface Job {
  appUrl: string;
  simUrl: string;
  sessions: number;
  tokens: number;
  tps: number;
  id: number;
  /** Sockets joined to each session besides the one that prompts (people watching the stream). */
  watchers: number;
}
const job = workerData as Job;
/** Epoch ms, sent with the go message: measure streams that start after `measureFrom`, start none after `endAt`. */
let win = { measureFrom: Infinity, endAt: 0 };
const now = () => performance.timeOrigin + performance.now();
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };


/** What one socket saw of each stream: delta arrivals ([t, chars so far, …]) and its end. */
class Watcher {
  private readonly seen = new Map<string, { arrivals: number[]; chars: number; tokens: number; end: Promise<string>; resolve: (s: string) => void }>();
  /** `prompter`: its deltas count as the tokens delivered (once per stream, not once per watcher). */
  constructor(readonly socket: Socket, prompter: boolean) {
    socket.on('ai:delta', (e: { streamId: string; text: string; tokens: number }) => {
      const t = now();
      if (prompter && t >= win.measureFrom && t < win.endAt) {
        windowTokens += e.tokens;
        windowMessages++;
      }
      const s = this.of(e.streamId);
      s.chars += e.text.length;
      s.arrivals.push(t, s.chars);
      s.tokens += e.tokens;
    });
    socket.on('ai:end', (e: { streamId: string; status: string }) => this.of(e.streamId).resolve(e.status));
  }
  of(streamId: string) {
    let s = this.seen.get(streamId);
    if (!s) {
      let resolve!: (v: string) => void;
      const end = new Promise<string>((r) => (resolve = r));
      s = { arrivals: [], chars: 0, tokens: 0, end, resolve };
      this.seen.set(streamId, s);
    }
    return s;
  }
  /** Waits for the stream's end here (or gives up after 30 s: counted as an error), then forgets it. */
  async take(streamId: string) {
    const s = this.of(streamId);
    const status = await Promise.race([s.end, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    this.seen.delete(streamId);
    return { status, arrivals: s.arrivals, tokens: s.tokens };
  }
}

/** A socket that has said hello and joined: a new session of its own, or `join` (a viewer link). */
async function open(join?: { sessionId: string; token: string }): Promise<{ socket: Socket; sessionId: string; viewerToken: () => Promise<string> }> {
  const socket = io(job.appUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const call = async <T>(event: string, payload: unknown): Promise<T> => {
    const r = (await socket.timeout(30_000).emitWithAck(event, payload)) as Ack<T>;
    if (!r.ok) throw new Error(`${event}: ${r.error.code}`);
    return r.data;
  };
  await call('session:hello', { protocolVersion: PROTOCOL_VERSION });
  const id = join?.sessionId ?? (await call<{ sessionId: string }>('session:create', {})).sessionId;
  await call('session:join', join ?? { sessionId: id });
  return { socket, sessionId: id, viewerToken: async () => (await call<{ token: string }>('link:create', { role: 'viewer' })).token };
}

let seq = 0;
const lags: number[] = [];
const ttfts: number[] = [];
let streams = 0;
let errors = 0;
/** The first few refusals, by code: a bench that only counts errors hides why. */
const errorCodes: Record<string, number> = {};
const countError = (code: string) => {
  errors++;
  errorCodes[code] = (errorCodes[code] ?? 0) + 1;
};
/** Upstream tokens delivered to the prompting sockets inside the measurement window. */
let windowTokens = 0;
/** `ai:delta` messages the prompting sockets received inside the window (coalescing: far fewer than tokens). */
let windowMessages = 0;

/** One session: the socket that prompts, and `watchers` more sockets joined to it; each one's lags count. */
async function runSession(sockets: Watcher[], offset: number) {
  const [prompter] = sockets;
  while (now() < win.endAt) {
    const m = `scale${job.id}x${seq++}x${Date.now().toString(36)}`;
    await fetch(`${job.simUrl}/_sim/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: m, tokens: job.tokens, tokensPerSecond: job.tps, times: 1 }),
    });
    const startedAt = now();
    const r = (await prompter.socket.timeout(30_000).emitWithAck('ai:prompt', {
      prompt: `Scale ${m}`, path: 'src/cart.ts', mode: 'instant', mentions: [], openFiles: [], autoApply: false, sendNow: false,
    })) as Ack<{ streamId: string }>;
    if (!r.ok) {
      countError(r.error.code);
      await new Promise((res) => setTimeout(res, 100));
      continue;
    }
    const seenBy = await Promise.all(sockets.map((w) => w.take(r.data.streamId)));
    for (const s of seenBy) if (s.status !== 'done') countError(`end:${s.status}`);
    if (startedAt < win.measureFrom) continue;
    const timing = ((await (await fetch(`${job.simUrl}/_sim/timings?match=${m}`)).json()) as SimTiming[]).at(-1);
    if (!timing) continue;
    for (const s of seenBy) {
      const l = deliveryLags(timing.writes, s.arrivals, offset);
      if (!l.length) continue;
      streams++;
      ttfts.push(l[0].lag);
      for (const x of l) lags.push(x.lag);
    }
  }
}

const offset = await simClockOffset(job.simUrl);
const sessions: Watcher[][] = [];
for (let i = 0; i < job.sessions; i++) {
  const first = await open();
  const group = [new Watcher(first.socket, true)];
  const token = job.watchers > 0 ? await first.viewerToken() : '';
  for (let w = 0; w < job.watchers; w++) group.push(new Watcher((await open({ sessionId: first.sessionId, token })).socket, false));
  sessions.push(group);
}
parentPort!.postMessage({ type: 'ready' });
win = await new Promise<typeof win>((resolve) => parentPort!.once('message', resolve));
await Promise.all(sessions.map((g) => runSession(g, offset)));
for (const g of sessions) for (const w of g) w.socket.disconnect();
parentPort!.postMessage({ type: 'done', lags: Float64Array.from(lags), ttfts, streams, errors, errorCodes, windowTokens, windowMessages });
