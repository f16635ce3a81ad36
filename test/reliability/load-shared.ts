/** What load.test.ts and its worker threads (load-worker.ts) exchange. */
export interface LoadJob {
  appUrl: string;
  simUrl: string;
  identity: string;
  id: number;
  seed: number;
  /** One entry per session of this thread: whether it keeps a stream running. */
  sessions: boolean[];
  clientsPerSession: number;
  editorsPerSession: number;
  /** An editor's pause between edits, ms. */
  editEveryMs: [number, number];
  tokens: number;
  tps: number;
}

export interface SessionResult {
  sessionId: string;
  /** Lines whose `doc:update` was acknowledged. */
  acked: string[];
  /** The file as each client ends up with it. */
  texts: string[];
  /** Turn statuses as the clients' documents record them. */
  turnsStreaming: number;
}

export interface LoadResult {
  type: 'done';
  sessions: SessionResult[];
  /** Latency histogram: count per 0.1 ms bucket (the last one: everything above). */
  histogram: Uint32Array;
  deltas: number;
  editsAcked: number;
  editsFailed: string[];
  protocolErrors: string[];
  disconnects: string[];
  streamEnds: Record<string, number>;
  /** `ai:end` errors by code (`internal` among them would be a server bug). */
  streamErrors: Record<string, number>;
  promptFailures: string[];
  streamsMeasured: number;
}

export const BUCKET_MS = 0.1;
export const BUCKETS = 600_000; // up to 60 s
