/** Epoch milliseconds at sub-millisecond resolution. */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * How far the simulator's clock (`GET /_sim/clock`) is ahead of this thread's `epochNow()`:
 * the round trip of 20 tries with the shortest kept, its midpoint taken as the moment the
 * simulator read its clock (error ≤ half that round trip).
 */
export async function simClockOffset(simUrl: string): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const t0 = epochNow();
    const j = (await (await fetch(`${simUrl}/_sim/clock`)).json()) as { now: number };
    const t1 = epochNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: j.now - (t0 + t1) / 2 };
  }
  return best.offset;
}
