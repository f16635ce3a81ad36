/**
 * A stream's text on its way out: coalesced per stream per tick before it reaches socket.io and
 * the turn recorder (its parser and Yjs writes), so at 1,000+ tok/s a stream costs one socket
 * frame and one parser call per tick, not one per token.
 *
 * Invariants:
 * - one `DeltaTicker` (one timer) serves every stream of the process; it is armed only while some
 *   stream has text waiting, and each waiting stream is flushed once per tick;
 * - a stream's text leaves in the order it arrived, each tick's text being the concatenation of
 *   what arrived since the last one (`seq` counts messages, `tokens` the upstream deltas merged);
 * - the first text after a quiet spell (≥ one tick since the last message — the first token
 *   included) is not held for the tick: it goes out once the current upstream read is done
 *   (`setImmediate`), so coalescing never delays a first token;
 * - `flush()` sends everything now (before `ai:end`); `drop()` records what is waiting but emits
 *   nothing, then or ever again (an interrupt).
 */

export interface DeltaOut {
  seq: number;
  text: string;
  tokens: number;
}

export interface TurnOutputSink {
  /** The turn's text, in order, whatever happens (the recorder): called once per flush. */
  record(text: string): void;
  /** One message for the room; never called after `drop()`. */
  emit(delta: DeltaOut): void;
}

/** One shared timer flushing every stream that has text waiting, once per `tickMs`. */
export class DeltaTicker {
  private readonly waiting = new Set<TurnOutput>();
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly tickMs: number) {
    if (!(tickMs >= 0) || !Number.isFinite(tickMs)) throw new RangeError(`tick must be a finite number of ms ≥ 0, not ${tickMs}`);
  }

  /** Streams with text waiting for the next tick (for tests and gauges). */
  get size(): number {
    return this.waiting.size;
  }

  schedule(out: TurnOutput): void {
    this.waiting.add(out);
    if (!this.timer) {
      this.timer = setTimeout(this.tick, this.tickMs);
      this.timer.unref?.();
    }
  }

  cancel(out: TurnOutput): void {
    this.waiting.delete(out);
    if (this.waiting.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly tick = (): void => {
    this.timer = null;
    const due = [...this.waiting];
    this.waiting.clear();
    for (const out of due) out.flush();
  };
}

export class TurnOutput {
  private pending = '';
  private pendingTokens = 0;
  private seq = 0;
  private dropped = false;
  /** When the last message went out (performance.now()); -Infinity before the first. */
  private lastEmitAt = -Infinity;
  private immediate: NodeJS.Immediate | null = null;
  private ticking = false;

  constructor(
    private readonly ticker: DeltaTicker,
    private readonly sink: TurnOutputSink,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Per upstream delta: buffered, and a flush scheduled (at once after a quiet spell, else at the tick). */
  push(text: string): void {
    if (this.dropped || !text) return;
    this.pending += text;
    this.pendingTokens++;
    if (this.immediate || this.ticking) return;
    if (this.clock() - this.lastEmitAt >= this.ticker.tickMs) {
      this.immediate = setImmediate(this.flush);
    } else {
      this.ticking = true;
      this.ticker.schedule(this);
    }
  }

  /** Sends what is waiting as one message (the recorder gets it first). */
  readonly flush = (): void => {
    this.unschedule();
    if (!this.pending) return;
    const text = this.pending;
    const tokens = this.pendingTokens;
    this.pending = '';
    this.pendingTokens = 0;
    this.sink.record(text);
    if (this.dropped) return;
    this.lastEmitAt = this.clock();
    this.sink.emit({ seq: this.seq++, text, tokens });
  };

  /** An interrupt: what is waiting is recorded, nothing more is emitted. */
  drop(): void {
    this.dropped = true;
    this.unschedule();
    if (this.pending) this.sink.record(this.pending);
    this.pending = '';
    this.pendingTokens = 0;
  }

  private unschedule() {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    if (this.ticking) this.ticker.cancel(this);
    this.ticking = false;
  }
}
