/**
 * Benchmark instrumentation (`npm run bench`, see bench/README.md). `window.__flintBench` exists
 * only when the benchmark installs it before the page loads; without it every call is a property
 * read and nothing else. Keep in sync with bench/lib/page-hook.ts, which implements it (installed by the benchmark, bench/lib/browser.ts).
 */
export interface BenchHook {
  /** The page's socket, so the benchmark can time a no-op request on it. */
  attach?(socket: unknown): void;
  /** `text` of stream `streamId` has just been parsed and the diff repainted. */
  frame?(streamId: string, text: string): void;
  /** This tab's turn `streamId` ended: its first token's way, stage by stage (lib/client/ttft-stages.ts). */
  stages?(streamId: string, stages: ReadonlyArray<{ stage: string; ms: number | null }>): void;
}

export function benchHook(): BenchHook | undefined {
  return (globalThis as { __flintBench?: BenchHook }).__flintBench;
}
