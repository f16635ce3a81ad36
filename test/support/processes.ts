import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The processes a benchmark run needs: the fast-tier simulator on its own (so its timers do not
 * share Flint's event loop) and Flint's production server pointed at it as an OpenAI-compatible
 * tier, and the peer harness (bench/peer/server.ts) as its own process on the same upstream.
 * Ports: BENCH_PORT (3623), BENCH_SIM_PORT (3624) and BENCH_PEER_PORT (3625).
 */
export const PORT = Number(process.env.BENCH_PORT ?? 3623);
export const SIM_PORT = Number(process.env.BENCH_SIM_PORT ?? 3624);
export const PEER_PORT = Number(process.env.BENCH_PEER_PORT ?? 3625);
export const APP_URL = `http://127.0.0.1:${PORT}`;
export const SIM_URL = `http://127.0.0.1:${SIM_PORT}`;
export const PEER_URL = `http://127.0.0.1:${PEER_PORT}`;

const children: ChildProcess[] = [];

function waitFor(child: ChildProcess, text: string, what: string, ms = 300_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms);
    const on = (chunk: Buffer) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
      if (chunk.toString().includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', (c: Buffer) => process.env.BENCH_VERBOSE && process.stderr.write(c));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

export async function startStack(opts: { maxConcurrentStreams?: number } = {}): Promise<{ flintPid: number; simPid: number }> {
  const dir = join(tmpdir(), `flint-bench-${PORT}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'none.json'), '{}\n');
  const sim = spawn(process.execPath, ['--import', 'tsx', 'server/sim/main.ts'], {
    env: { ...process.env, SIM_PORT: String(SIM_PORT), SIM_HOST: '127.0.0.1', SIM_TPS: '1000', SIM_TTFT_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(sim);
  await waitFor(sim, 'fast-tier simulator on', 'the simulator', 60_000);
  const upstream = `${SIM_URL}/v1`;
  // Nothing from the outer environment picks the tier: only the variables below.
  const outer = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLINT_')));
  // e.g. BENCH_FLINT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/flint-prof" to profile the server.
  const nodeArgs = (process.env.BENCH_FLINT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The compiled server `npm start` runs (bench/run.ts builds it when stale); BENCH_FLINT_ENTRY:
  // another build of it (e.g. an older commit's, for a before/after profile on the same machine).
  const entry = process.env.BENCH_FLINT_ENTRY || 'dist/server/main.js';
  const flint = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', entry], {
    env: {
      ...outer,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      HOST: '127.0.0.1',
      PORT: String(PORT),
      FLINT_CONFIG: join(dir, 'none.json'),
      FLINT_PROVIDER: 'openai',
      FLINT_BASE_URL: upstream,
      FLINT_MODEL: 'flint-sim',
      FLINT_PROMPTS_PER_MINUTE: '1000000',
      FLINT_CREATES_PER_MINUTE: '1000000',
      FLINT_METRICS_PORT: 'off',
      // Every client of the benchmark (the scale run: hundreds of sockets) comes from 127.0.0.1.
      FLINT_MAX_CONNECTIONS_PER_IP: '1000000',
      FLINT_MAX_CONCURRENT_STREAMS: String(opts.maxConcurrentStreams ?? 1000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(flint);
  const peer = spawn(process.execPath, ['--import', 'tsx', 'bench/peer/server.ts'], {
    env: { ...outer, NODE_ENV: 'production', PEER_PORT: String(PEER_PORT), PEER_HOST: '127.0.0.1', PEER_UPSTREAM: upstream },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(peer);
  await Promise.all([waitFor(flint, '[flint] ready', 'Flint'), waitFor(peer, '[peer] peer harness on', 'the peer harness', 120_000)]);
  return { flintPid: flint.pid!, simPid: sim.pid! };
}

export async function stopStack(): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}

/** CPU time (ms) and resident memory (bytes) of one process, from /proc. */
export function procUsage(pid: number): { cpuMs: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssPages = Number(fields[21]);
  return { cpuMs: (ticks * 1000) / 100, rssBytes: rssPages * 4096 };
}

export async function simFetch<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(`${SIM_URL}${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
