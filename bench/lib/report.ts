import { round } from '../../test/support/stats';

/** The benchmark's result file (bench/results/<date>.json) and its markdown table and SVG chart. */
export interface HarnessRow {
  tps: number;
  ttftMs: number;
  runs: number;
  /** arrivalP50: first `ai:delta` received by the page − first upstream write (Flint only). */
  flint: { addedTtftP50: number; addedTtftP99: number; perTokenP50: number; arrivalP50: number };
  peer: { addedTtftP50: number; addedTtftP99: number; perTokenP50: number; arrivalP50: number };
}

export interface Results {
  date: string;
  command: string;
  mode: 'full' | 'quick';
  /** 1-minute load average at start and end: the machine is shared, so say how busy it was. */
  machine: { cpus: number; model: string; node: string; loadBefore: number; loadAfter?: number };
  harness: HarnessRow[];
  /** Submit → first token painted (simulator TTFT 0); Flint's stages p50 (lib/client/ttft-stages.ts). */
  e2e?: {
    frameMs: number;
    warm: Record<'flint' | 'peer', { p50: number; p95: number; n: number }>;
    first: Record<'flint' | 'peer', { p50: number; p95: number; n: number }>;
    stages: Record<'warm' | 'first', Array<{ stage: string; p50: number }>>;
  };
  /** Samples that failed once and were taken again (a second failure fails the run). */
  retries: Array<{ sample: string; error: string }>;
  noop?: { flintP50: number; flintP99: number; peerP50: number; peerP99: number; n: number };
  editor?: Record<'flint' | 'peer', { frameP50: number; frameP99: number; fps: number; longTasks: number; longestTaskMs: number; runs: number }>;
  interrupt?: Record<'flint' | 'peer', { toLastPaintP50: number; toLastPaintMax: number; toUpstreamCloseP50: number; toUpstreamCloseMax: number; runs: number }>;
  /** arrivalP50: keystroke → the update on B's socket, before B renders it. */
  pairing?: { p50: number; p99: number; n: number; arrivalP50: number; sentP50: number };
  sandbox?: unknown;
  scale?: { steps: Array<Record<string, number>>; maxStreamsUnder50ms: number | null };
  notes: string[];
}

const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : String(round(x, d)));
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${f(a / b, 2)}×` : '–');
const ok = (cond: boolean | null) => (cond === null ? '' : cond ? '✓' : '✗');

export function markdown(r: Results): string {
  const out: string[] = [];
  out.push(`Measured ${r.date} on ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}, load average ${f(r.machine.loadBefore)} → ${f(r.machine.loadAfter)} — \`${r.command}\` (${r.mode}).`, '');
  if (r.e2e) {
    const e = r.e2e;
    out.push(`**End-to-end TTFT** (ms; submit — Enter in the prompt box, or the peer's send button — → the first answer text painted in Monaco, on the page's clock; the simulator answers at once, TTFT 0; 200-token answers at 10,000 tok/s; display frame of this run ${f(e.frameMs)} ms):`, '');
    out.push('| | Flint | peer | Flint/peer | goal |', '|:--|---:|---:|---:|:--|');
    out.push(`| warm prompts p50 (n=${e.warm.flint.n}) | ${f(e.warm.flint.p50)} | ${f(e.warm.peer.p50)} | ${ratio(e.warm.flint.p50, e.warm.peer.p50)} | ≤16.7 ${ok(e.warm.flint.p50 <= 16.7)} · ≤0.5× ${ok(e.warm.flint.p50 <= 0.5 * e.warm.peer.p50)} |`);
    out.push(`| warm prompts p95 | ${f(e.warm.flint.p95)} | ${f(e.warm.peer.p95)} | ${ratio(e.warm.flint.p95, e.warm.peer.p95)} | |`);
    out.push(`| first prompt of a new session p50 (n=${e.first.flint.n}) | ${f(e.first.flint.p50)} | ${f(e.first.peer.p50)} | ${ratio(e.first.flint.p50, e.first.peer.p50)} | ≤1.5× warm: ${ratio(e.first.flint.p50, e.warm.flint.p50)} ${ok(e.first.flint.p50 <= 1.5 * e.warm.flint.p50)} |`);
    out.push('');
    if (e.stages.warm.length) {
      out.push('Flint by stage (p50, ms; the stages of a prompt sum to its TTFT, the p50s need not):', '');
      out.push(`| | ${e.stages.warm.map((s) => s.stage).join(' | ')} |`, `|:--|${e.stages.warm.map(() => '---:').join('|')}|`);
      out.push(`| warm | ${e.stages.warm.map((s) => f(s.p50)).join(' | ')} |`);
      if (e.stages.first.length) out.push(`| first of a session | ${e.stages.first.map((s) => f(s.p50)).join(' | ')} |`);
      out.push('');
    }
  }
  if (r.harness.length) {
    out.push('**Harness overhead** (ms; added = painted in the page − written by the simulator; per token = mean of that over every character of the answer; p50/p99 over runs):', '');
    out.push('| tok/s | upstream TTFT | runs | added TTFT p50 Flint / peer | ratio | added TTFT p99 Flint / peer | per token Flint / peer | ratio | targets (≤5 ms and ≤0.5× · ≤0.7×) |');
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|:--|');
    for (const h of r.harness) {
      const tt = h.flint.addedTtftP50 <= 5 && h.flint.addedTtftP50 <= 0.5 * h.peer.addedTtftP50;
      const pt = h.flint.perTokenP50 <= 0.7 * h.peer.perTokenP50;
      out.push(`| ${h.tps.toLocaleString('en')} | ${h.ttftMs} | ${h.runs} | ${f(h.flint.addedTtftP50)} / ${f(h.peer.addedTtftP50)} | ${ratio(h.flint.addedTtftP50, h.peer.addedTtftP50)} | ${f(h.flint.addedTtftP99)} / ${f(h.peer.addedTtftP99)} | ${f(h.flint.perTokenP50)} / ${f(h.peer.perTokenP50)} | ${ratio(h.flint.perTokenP50, h.peer.perTokenP50)} | ${ok(tt)} ${ok(pt)} |`);
    }
    out.push('');
  }
  const rows: string[] = [];
  if (r.noop) rows.push(`| no-op round trip p50 (p99), ms | ${f(r.noop.flintP50, 2)} (${f(r.noop.flintP99, 2)}) | ${f(r.noop.peerP50, 2)} (${f(r.noop.peerP99, 2)}) | ${ratio(r.noop.flintP50, r.noop.peerP50)} | ≤0.2× ${ok(r.noop.flintP50 <= 0.2 * r.noop.peerP50)} |`);
  if (r.editor) {
    const e = r.editor;
    rows.push(`| 3,000 tok/s into Monaco: frame p50 / p99, ms | ${f(e.flint.frameP50)} / ${f(e.flint.frameP99)} | ${f(e.peer.frameP50)} / ${f(e.peer.frameP99)} | | |`);
    rows.push(`| … fps | ${f(e.flint.fps)} | ${f(e.peer.fps)} | | ≥55 ${ok(e.flint.fps >= 55)} |`);
    rows.push(`| … long tasks >50 ms (longest, ms) | ${e.flint.longTasks} (${f(e.flint.longestTaskMs)}) | ${e.peer.longTasks} (${f(e.peer.longestTaskMs)}) | | none ${ok(e.flint.longTasks === 0)} |`);
  }
  if (r.interrupt) {
    const i = r.interrupt;
    rows.push(`| interrupt: click → last painted change p50 (max), ms | ${f(i.flint.toLastPaintP50)} (${f(i.flint.toLastPaintMax)}) | ${f(i.peer.toLastPaintP50)} (${f(i.peer.toLastPaintMax)}) | | ≤16 ${ok(i.flint.toLastPaintMax <= 16)} |`);
    rows.push(`| interrupt: click → upstream closed p50 (max), ms | ${f(i.flint.toUpstreamCloseP50)} (${f(i.flint.toUpstreamCloseMax)}) | ${f(i.peer.toUpstreamCloseP50)} (${f(i.peer.toUpstreamCloseMax)}) | ${ratio(i.flint.toUpstreamCloseP50, i.peer.toUpstreamCloseP50)} | ≤50 ${ok(i.flint.toUpstreamCloseMax <= 50)} |`);
  }
  if (r.pairing) rows.push(`| pairing: keystroke in A → painted in B, p50 / p99 (n=${r.pairing.n}), ms | ${f(r.pairing.p50)} / ${f(r.pairing.p99)} (sent by A after ${f(r.pairing.sentP50)}, on B's socket after ${f(r.pairing.arrivalP50)} p50) | | | p50 ≤15 ${ok(r.pairing.p50 <= 15)} |`);
  const sb = r.sandbox as { results?: Array<{ suite: string; coldMs: number; warmMedianMs: number; sandboxWarmMs?: number[] }> } | undefined;
  for (const s of sb?.results ?? []) {
    const js = s.suite.startsWith('JavaScript');
    const inside = s.sandboxWarmMs?.length ? [...s.sandboxWarmMs].sort((a, b) => a - b)[Math.floor(s.sandboxWarmMs.length / 2)] : NaN;
    rows.push(`| sandbox: 200 tests, ${s.suite}: cold / warm (median), ms | ${f(s.coldMs, 0)} / ${f(s.warmMedianMs, 0)} (warm inside the sandbox ${f(inside, 0)}) | | | ${js ? `warm ≤300 ${ok(s.warmMedianMs <= 300)}` : ''} |`);
  }
  if (rows.length) {
    out.push('| measure | Flint | peer | Flint/peer | target |', '|:--|---:|---:|---:|:--|', ...rows, '');
  }
  if (r.scale) {
    const sockets = r.scale.steps[0]?.socketsPerStream;
    out.push(`**Server scale** (load generator: socket.io clients in 2 worker threads; every stream 1,000 tok/s${sockets ? `, seen by ${sockets} sockets (the one prompting + ${sockets - 1} watching)` : ''}; added = \`ai:delta\` arrival at each socket − simulator write):`, '');
    out.push('| concurrent streams | added p50 / p99, ms | TTFT added p50, ms | tok/s delivered | Flint CPU (% of a core) | per stream | Flint CPU per 1k tokens, ms | ai:delta per 1k tokens | simulator CPU | Flint RSS per stream, MB | streams measured | errors |');
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of r.scale.steps) {
      out.push(`| ${s.streams} | ${f(s.addedP50Ms)} / ${f(s.addedP99Ms)} | ${f(s.ttftP50Ms)} | ${f(s.tokensPerSecond, 0)} | ${f(s.flintCpuPct, 0)} | ${f(s.cpuPctPerStream, 2)} | ${f(s.cpuMsPerKTok, 2)} | ${f(s.messagesPerKTok, 0)} | ${f(s.simCpuPct, 0)} | ${f(s.rssMbPerStream, 2)} | ${s.streamsMeasured} | ${s.errors} |`);
    }
    const cpu = r.scale.steps.map((x) => x.cpuMsPerKTok).filter(Number.isFinite);
    out.push('', `Largest tried M with p99 added latency under 50 ms: **${r.scale.maxStreamsUnder50ms ?? 'none'}** (target ≥200); Flint CPU per 1k tokens ${cpu.length ? `${f(Math.min(...cpu), 1)}–${f(Math.max(...cpu), 1)} ms` : '–'} (target ≤3).`, '');
  }
  if (r.retries?.length) {
    out.push(`Samples retried after a failure (${r.retries.length}; each was taken again, the retry's figure is the one above):`, '');
    for (const x of r.retries) out.push(`- ${x.sample}: ${x.error}`);
    out.push('');
  }
  for (const n of r.notes) out.push(`- ${n}`);
  return out.join('\n') + '\n';
}

/** Added TTFT p50 per configuration, Flint beside the peer. */
export function svg(r: Results): string {
  const rows = r.harness;
  const W = 720;
  const H = 300;
  const pad = { l: 50, r: 20, t: 30, b: 60 };
  const max = Math.max(1, ...rows.flatMap((h) => [h.flint.addedTtftP50, h.peer.addedTtftP50]));
  const groupW = (W - pad.l - pad.r) / Math.max(1, rows.length);
  const bw = groupW * 0.35;
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${pad.l}" y="18" font-size="13">Added time to first token, p50 (ms): Flint vs AI SDK route + useChat — ${r.date}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#333"/>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${round(v, 1)}</text><line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
  }
  rows.forEach((h, i) => {
    const x = pad.l + i * groupW + groupW * 0.15;
    parts.push(`<rect x="${x}" y="${y(h.flint.addedTtftP50)}" width="${bw}" height="${H - pad.b - y(h.flint.addedTtftP50)}" fill="#e8590c"/>`);
    parts.push(`<rect x="${x + bw}" y="${y(h.peer.addedTtftP50)}" width="${bw}" height="${H - pad.b - y(h.peer.addedTtftP50)}" fill="#868e96"/>`);
    parts.push(`<text x="${x + bw}" y="${H - pad.b + 14}" text-anchor="middle">${h.tps} tok/s</text><text x="${x + bw}" y="${H - pad.b + 28}" text-anchor="middle">TTFT ${h.ttftMs} ms</text>`);
  });
  parts.push(`<rect x="${W - 200}" y="${H - 22}" width="10" height="10" fill="#e8590c"/><text x="${W - 186}" y="${H - 13}">Flint</text>`);
  parts.push(`<rect x="${W - 140}" y="${H - 22}" width="10" height="10" fill="#868e96"/><text x="${W - 126}" y="${H - 13}">peer (AI SDK)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
