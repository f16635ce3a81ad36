/**
 * Where Flint's page spends the time between sending a prompt and painting the first token when
 * the upstream answers at once (TTFT 0). Not part of `npm run bench`: a diagnosis tool.
 *
 *   npx tsx bench/diagnose-ttft.ts        # starts the stack on BENCH_PORT / BENCH_SIM_PORT
 *
 * Wraps the page socket's listeners to time each handler (its synchronous part plus the
 * microtasks it queued: React flushes zustand updates in a microtask), and prints, per run,
 * the handlers that ran from the submit to the first painted frame.
 */
import { BrowserBench } from './lib/browser';
import { startStack, stopStack } from '../test/support/processes';
import { p50 } from '../test/support/stats';

const RUNS = Number(process.env.RUNS ?? 12);

await startStack();
try {
  const b = await BrowserBench.start();
  await b.freshSession();
  const page = b.flint.page;
  await page.evaluate(() => {
    const w = window as unknown as { __log: Array<[string, number, number]>; __flintBench: { socket: { _callbacks: Record<string, Array<(...a: unknown[]) => void>> } } };
    w.__log = [];
    const cbs = w.__flintBench.socket._callbacks;
    for (const key of Object.keys(cbs)) {
      cbs[key] = cbs[key].map((fn) => function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        const r = fn.apply(this, args);
        // The handler's microtasks (React renders zustand updates in one) run before this one.
        queueMicrotask(() => queueMicrotask(() => w.__log.push([key.slice(1), t0, performance.now() - t0])));
        return r;
      });
    }
    const raf = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (cb) => raf((t) => {
      const t0 = performance.now();
      cb(t);
      w.__log.push(['rAF callback', t0, performance.now() - t0]);
    });
  });
  const per: Record<string, number[]> = {};
  const ttfts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await page.evaluate(() => ((window as unknown as { __log: unknown[] }).__log = []));
    const t0 = await page.evaluate(() => performance.now());
    const r = await b.stream(b.flint, { tokens: 600, tps: 1000, ttftMs: 0 });
    ttfts.push(r.addedTtftMs);
    const log = await page.evaluate(() => (window as unknown as { __log: Array<[string, number, number]> }).__log);
    const firstPaint = await page.evaluate(() => {
      const f = (window as unknown as { __flintBench: { frames: number[] } }).__flintBench.frames;
      return f[0] - performance.timeOrigin;
    });
    const inWindow = log.filter(([, t]) => t >= t0 && t <= firstPaint);
    const sum: Record<string, number> = {};
    for (const [k, , d] of inWindow) sum[k] = (sum[k] ?? 0) + d;
    for (const [k, d] of Object.entries(sum)) (per[k] ??= []).push(d);
    console.log(`run ${i}: added TTFT ${r.addedTtftMs.toFixed(1)} ms; before the first paint: ${inWindow.map(([k, t, d]) => `${k}@${(t - t0).toFixed(1)}+${d.toFixed(1)}`).join(', ')}`);
  }
  console.log(`\nadded TTFT p50 ${p50(ttfts).toFixed(1)} ms; handler time between submit and first paint, p50 per run:`);
  for (const [k, v] of Object.entries(per)) console.log(`  ${k.padEnd(16)} ${p50(v).toFixed(1)} ms (in ${v.length} of ${RUNS} runs)`);
  await b.close();
} finally {
  await stopStack();
}
