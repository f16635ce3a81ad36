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
}
const job = workerData as Job;
/** Epoch ms, sent with the go message: measure streams that start after `measureFrom`, start none after `endAt`. */
let win = { measureFrom: Infinity, endAt: 0 };
const now = () => performance.timeOrigin + performance.now();
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };


async function connect(): Promise<Socket> {
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
  const { sessionId } = await call<{ sessionId: string }>('session:create', {});
  await call('session:join', { sessionId });
  return socket;
}

let seq = 0;
const lags: number[] = [];
const ttfts: number[] = [];
let streams = 0;
let errors = 0;
/** Upstream tokens delivered to this thread inside the measurement window. */
let windowTokens = 0;

async function runSession(socket: Socket, offset: number) {
  while (now() < win.endAt) {
    const m = `scale${job.id}x${seq++}x${Date.now().toString(36)}`;
    await fetch(`${job.simUrl}/_sim/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: m, tokens: job.tokens, tokensPerSecond: job.tps, times: 1 }),
    });
    const startedAt = now();
    const arrivals: number[] = [];
    let chars = 0;
    let streamId = '';
    const ended = new Promise<string>((resolve) => {
      const onDelta = (e: { streamId: string; text: string; tokens: number }) => {
        if (e.streamId !== streamId && streamId) return;
        const t = now();
        chars += e.text.length;
        arrivals.push(t, chars);
        if (t >= win.measureFrom && t < win.endAt) windowTokens += e.tokens;
      };
      const onEnd = (e: { streamId: string; status: string }) => {
        if (streamId && e.streamId !== streamId) return;
        socket.off('ai:delta', onDelta);
        socket.off('ai:end', onEnd);
        resolve(e.status);
      };
      socket.on('ai:delta', onDelta);
      socket.on('ai:end', onEnd);
    });
    const r = (await socket.timeout(30_000).emitWithAck('ai:prompt', {
      prompt: `Scale ${m}`, path: 'src/cart.ts', mode: 'instant', mentions: [], openFiles: [], instant: false, sendNow: false,
    })) as Ack<{ streamId: string }>;
    if (!r.ok) {
      errors++;
      await new Promise((res) => setTimeout(res, 100));
      continue;
    }
    streamId = r.data.streamId;
    const status = await ended;
    if (status !== 'done') errors++;
    if (startedAt < win.measureFrom) continue;
    const timing = ((await (await fetch(`${job.simUrl}/_sim/timings?match=${m}`)).json()) as SimTiming[]).at(-1);
    if (!timing) continue;
    const l = deliveryLags(timing.writes, arrivals, offset);
    if (!l.length) continue;
    streams++;
    ttfts.push(l[0].lag);
    for (const x of l) lags.push(x.lag);
  }
}

const offset = await simClockOffset(job.simUrl);
const sockets: Socket[] = [];
for (let i = 0; i < job.sessions; i++) sockets.push(await connect());
parentPort!.postMessage({ type: 'ready' });
win = await new Promise<typeof win>((resolve) => parentPort!.once('message', resolve));
await Promise.all(sockets.map((s) => runSession(s, offset)));
for (const s of sockets) s.disconnect();
parentPort!.postMessage({ type: 'done', lags: Float64Array.from(lags), ttfts, streams, errors, windowTokens });
