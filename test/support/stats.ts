/** Small statistics helpers for the benchmark report. */

export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}
export const p50 = (v: number[]) => quantile(v, 0.5);
export const p99 = (v: number[]) => quantile(v, 0.99);
export const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/**
 * Delivery lag of a stream: for every upstream write (simulator clock, shifted onto the page's
 * clock) the first paint whose running character count covers it. Both lists are flattened
 * `[time, charsSoFar, …]`. Returns one lag per write with its character weight.
 */
export function deliveryLags(writes: number[], paints: number[], offset: number): Array<{ lag: number; chars: number }> {
  const out: Array<{ lag: number; chars: number }> = [];
  let j = 0;
  let prev = 0;
  for (let k = 0; k < writes.length; k += 2) {
    const at = writes[k] - offset;
    const chars = writes[k + 1];
    while (j < paints.length && paints[j + 1] < chars) j += 2;
    if (j >= paints.length) break;
    out.push({ lag: paints[j] - at, chars: chars - prev });
    prev = chars;
  }
  return out;
}

/** Running sums: `[t, n, t, n]` of per-frame counts → `[t, total, …]`. */
export function cumulative(pairs: number[]): number[] {
  const out: number[] = [];
  let total = 0;
  for (let k = 0; k < pairs.length; k += 2) {
    total += pairs[k + 1];
    out.push(pairs[k], total);
  }
  return out;
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
