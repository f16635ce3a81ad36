import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Tests only: Flint as a real child process (`node --import tsx server/main.ts`), socket only
 * (FLINT_SERVE_WEB=false), the simulator as its tier, on random ports. `url` once it printed
 * that it is ready.
 */
export interface FlintProcess {
  url: string;
  /** Its `GET /metrics` (FLINT_METRICS_PORT=0: a port of its own). */
  metricsUrl: string;
  child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** The DevTools WebSocket URL, when started with `inspect: true`. */
  inspectorUrl?: string;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), then wait for the exit. */
  stop(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface FlintProcessOptions {
  /** Open the V8 inspector on a random loopback port (`inspectorUrl`; see `test/support/inspector-client.ts`). */
  inspect?: boolean;
}

export async function startFlintProcess(env: Record<string, string>, options: FlintProcessOptions = {}): Promise<FlintProcess> {
  const execArgv = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
  // Never the repository's .flint-data: without a database of its own, a fresh directory, removed when it exits.
  const ownDir = !env.FLINT_DATA_DIR && !env.DATABASE_URL ? mkdtempSync(path.join(os.tmpdir(), 'flint-process-')) : undefined;
  if (ownDir) env = { ...env, FLINT_DATA_DIR: ownDir };
  const child = spawn(process.execPath, [...execArgv, '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', FLINT_PROVIDER: 'sim', FLINT_SERVE_WEB: 'false', PORT: '0', HOST: '127.0.0.1', FLINT_SIM_PORT: '0', FLINT_METRICS_PORT: '0', FLINT_CREATES_PER_MINUTE: '1000000', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (ownDir) void exited.then(() => rmSync(ownDir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      // The metrics listener starts after the socket server: wait for both lines.
      const m = /ready on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m && (/metrics on http|metrics not served/.test(out) || env.FLINT_METRICS_PORT === 'off')) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`flint exited (${code ?? signal}) before it was ready:\n${out.slice(-3000)}`)));
  });
  const inspectorUrl = options.inspect ? /Debugger listening on (ws:\/\/\S+)/.exec(out)?.[1] : undefined;
  if (options.inspect && !inspectorUrl) throw new Error(`flint printed no inspector URL:\n${out.slice(-3000)}`);
  const metricsUrl = /metrics on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
  return {
    url,
    metricsUrl,
    child,
    inspectorUrl,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
