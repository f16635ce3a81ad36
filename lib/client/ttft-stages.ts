/**
 * The first token's way from the submit to the screen, stage by stage, for the metrics detail
 * (components/ttft-detail.tsx) and the benchmark. Pure: the browser's own marks (one clock) and
 * the server's stages (`ai:end` timing.stages, offsets on the server's clock from the prompt's
 * acceptance) never mix clocks — the one stage that spans both, "received in the browser", is the
 * browser's send → first delta minus the server's share, i.e. the two trips over the network plus
 * the browser's wait to run the socket handler.
 *
 * Invariants: the stages are in order and, when every one is known, sum to submit → painted.
 */

/** Browser times (performance.now()) of one own turn. */
export interface ClientMarks {
  submittedAt: number;
  /** `ai:prompt` handed to the socket. */
  sentAt: number;
  /** The first `ai:delta` ran in the socket handler; null before it. */
  firstArrivalAt: number | null;
  /** The animation frame that first painted its text ended; null before it. */
  paintedAt: number | null;
}

/** The server's part, as `ai:end` carries it (ms after the prompt was accepted). */
export interface ServerStages {
  contextMs: number | null;
  requestMs: number | null;
  firstByteMs: number | null;
  firstTokenMs: number | null;
}

/** Keep in sync with STAGE_LABELS and components/CONTEXT.md (data-stage values). */
export const TTFT_STAGES = ['send', 'context', 'request', 'firstByte', 'firstToken', 'received', 'painted'] as const;
export type TtftStageName = (typeof TTFT_STAGES)[number];

export const STAGE_LABELS: Record<TtftStageName, string> = {
  send: 'submit → socket send',
  context: 'server receive → prompt built',
  request: '→ upstream request written',
  firstByte: '→ first upstream byte',
  firstToken: '→ first token emitted',
  received: '→ received in the browser',
  painted: '→ painted',
};

export interface TtftStage {
  stage: TtftStageName;
  /** Duration of the stage, ms; null when it was not measured (e.g. the server sent no stages). */
  ms: number | null;
}

const diff = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined ? null : a - b;

/**
 * One row per stage. Without the server's stages, the server's rows are null and "received"
 * covers send → first delta as a whole.
 */
export function ttftStages(client: ClientMarks, server?: ServerStages | null): TtftStage[] {
  const roundTrip = diff(client.firstArrivalAt, client.sentAt);
  const s = server ?? null;
  const ms: Record<TtftStageName, number | null> = {
    send: diff(client.sentAt, client.submittedAt),
    context: s ? s.contextMs : null,
    request: s ? diff(s.requestMs, s.contextMs) : null,
    firstByte: s ? diff(s.firstByteMs, s.requestMs) : null,
    firstToken: s ? diff(s.firstTokenMs, s.firstByteMs) : null,
    received: s ? diff(roundTrip, s.firstTokenMs) : roundTrip,
    painted: diff(client.paintedAt, client.firstArrivalAt),
  };
  return TTFT_STAGES.map((stage) => ({ stage, ms: ms[stage] }));
}

/** submit → painted, when it is known. */
export function ttftTotal(client: ClientMarks): number | null {
  return diff(client.paintedAt, client.submittedAt);
}
