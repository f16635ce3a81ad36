/**
 * How big the reliability runs are. `npm test` runs them CI-sized; `npm run test:reliability`
 * sets FLINT_RELIABILITY=full for the long runs. Any size can be overridden by its own variable
 * (e.g. FLINT_FUZZ_MESSAGES=1000000), and FLINT_SEED replays one randomized run.
 */
export const FULL = process.env.FLINT_RELIABILITY === 'full';

function size(name: string, ci: number, full: number): number {
  const own = process.env[name];
  if (own !== undefined && own !== '') {
    const n = Number(own);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(own)}`);
    return n;
  }
  return FULL ? full : ci;
}

export const SIZES = {
  /** Generated protocol messages sent by the fuzzer. */
  fuzzMessages: size('FLINT_FUZZ_MESSAGES', 100_000, 300_000),
  /** Seeds of the randomized convergence run. */
  convergenceSeeds: size('FLINT_CONVERGENCE_SEEDS', 200, 2_000),
  /** kill -9 rounds. */
  crashRounds: size('FLINT_CRASH_ROUNDS', 20, 100),
  /** Load: connected clients, sessions, concurrent streams and how long. */
  loadClients: size('FLINT_LOAD_CLIENTS', 1_000, 1_000),
  loadSessions: size('FLINT_LOAD_SESSIONS', 100, 100),
  loadStreams: size('FLINT_LOAD_STREAMS', 50, 50),
  loadSeconds: size('FLINT_LOAD_SECONDS', 30, 300),
};

/** The seed of a randomized run: FLINT_SEED when given (to replay a failure), else a fresh one. */
export function runSeed(): number {
  const s = process.env.FLINT_SEED;
  return s ? Number(s) : Math.floor(Math.random() * 1_000_000_000);
}
