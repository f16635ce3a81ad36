import { Worker } from 'node:worker_threads';
import { APP_URL, SIM_URL, procUsage } from '../../test/support/processes';
import { p50, p99 } from '../../test/support/stats';

/**
 * Section 6: `m` sessions, each with one 1,000 tok/s stream at a time (so `m` concurrent
 * streams), driven by socket.io clients in worker threads: in each session one socket prompts
 * and `watchers` more are joined to it, as people watching. Reports the added latency of every
 * upstream write at every one of those sockets (delta arrival − simulator write), and Flint's
 * CPU and memory per stream.
 */
export interface ScaleStep {
  streams: number;
  /** Sockets that received each stream (the one prompting + watchers). */
  socketsPerStream: number;
  addedP50Ms: number;
  addedP99Ms: number;
  ttftP50Ms: number;
  streamsMeasured: number;
  errors: number;
  /** Why, by error code (`end:<status>` for a stream that did not end `done`). */
  errorCodes: Record<string, number>;
  /** Flint's CPU over the window, in % of one core per stream. */
  cpuPctPerStream: number;
  flintCpuPct: number;
  simCpuPct: number;
  /** Flint's resident memory growth over idle, per stream, MB. */
  rssMbPerStream: number;
  /** Tokens per second delivered to the clients in the window (m × 1,000 when keeping up). */
  tokensPerSecond: number;
  /** Flint's CPU time per 1,000 delivered tokens: steadier than latency on a shared machine. */
  cpuMsPerKTok: number;
  /** `ai:delta` messages per 1,000 upstream tokens, at one socket of each session. */
  messagesPerKTok: number;
}

type Done = { type: 'done'; lags: Float64Array; ttfts: number[]; streams: number; errors: number; errorCodes: Record<string, number>; windowTokens: number; windowMessages: number };

export async function scaleStep(m: number, o: { flintPid: number; simPid: number; warmupMs: number; measureMs: number; tokens: number; watchers: number }): Promise<ScaleStep> {
  const threads = Math.min(2, m);
  const idle = procUsage(o.flintPid);
  const plan = Array.from({ length: threads }, (_, i) => Math.floor(m / threads) + (i < m % threads ? 1 : 0));
  const workers = plan.map((sessions, id) => new Worker(new URL('./scale-worker.mjs', import.meta.url), {
    workerData: { appUrl: APP_URL, simUrl: SIM_URL, tokens: o.tokens, tps: 1000, sessions, id, watchers: o.watchers },
  }));
  const done = workers.map((w) => new Promise<Done>((resolve, reject) => {
    w.on('message', (msg: { type: string }) => msg.type === 'done' && resolve(msg as Done));
    w.once('error', reject);
  }));
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  })));
  const start = performance.timeOrigin + performance.now();
  const measureFrom = start + o.warmupMs;
  const endAt = measureFrom + o.measureMs;
  for (const w of workers) w.postMessage({ measureFrom, endAt });
  await new Promise((r) => setTimeout(r, o.warmupMs));
  const f0 = procUsage(o.flintPid);
  const s0 = procUsage(o.simPid);
  const t0 = performance.now();
  let rssPeak = f0.rssBytes;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, procUsage(o.flintPid).rssBytes)), 250);
  await new Promise((r) => setTimeout(r, o.measureMs));
  clearInterval(sampler);
  const f1 = procUsage(o.flintPid);
  const s1 = procUsage(o.simPid);
  const elapsed = performance.now() - t0;
  const results = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  const lags = results.flatMap((r) => Array.from(r.lags));
  const flintCpuPct = ((f1.cpuMs - f0.cpuMs) / elapsed) * 100;
  const windowTokens = results.reduce((n, r) => n + r.windowTokens, 0);
  return {
    streams: m,
    socketsPerStream: 1 + o.watchers,
    addedP50Ms: p50(lags),
    addedP99Ms: p99(lags),
    ttftP50Ms: p50(results.flatMap((r) => r.ttfts)),
    streamsMeasured: results.reduce((n, r) => n + r.streams, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    errorCodes: results.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.errorCodes)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    cpuPctPerStream: flintCpuPct / m,
    flintCpuPct,
    simCpuPct: ((s1.cpuMs - s0.cpuMs) / elapsed) * 100,
    rssMbPerStream: Math.max(0, rssPeak - idle.rssBytes) / m / 1e6,
    tokensPerSecond: windowTokens / (o.measureMs / 1000),
    cpuMsPerKTok: windowTokens ? ((f1.cpuMs - f0.cpuMs) / windowTokens) * 1000 : NaN,
    messagesPerKTok: windowTokens ? (results.reduce((n, r) => n + r.windowMessages, 0) / windowTokens) * 1000 : NaN,
  };
}
