import * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';
import type { Response } from '@/lib/protocol';
import type { TestClient } from './test-server';

const REMOTE = Symbol('remote');

/**
 * Tests only: a participant as a browser is one — its own Y.Doc, every local change sent as
 * `doc:update` with an acknowledgement, every incoming update applied. Each edit is one whole
 * line `<name>:<n>` inserted at the start of a random line, so concurrent edits never split
 * one another and each can be found afterwards.
 */
export class EditingClient {
  readonly doc = new Y.Doc();
  /** Edits whose `doc:update` was acknowledged `ok`. */
  readonly acked: string[] = [];
  private sent = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly socket: TestClient,
    state: Uint8Array,
    readonly name: string,
    private readonly path = 'src/cart.ts',
  ) {
    Y.applyUpdate(this.doc, state, REMOTE);
    socket.on('doc:update', (u) => Y.applyUpdate(this.doc, new Uint8Array(u), REMOTE));
  }

  /** Inserts the next line; resolves with it once acknowledged (rejects on an error answer). */
  edit(random: () => number = Math.random): Promise<string> {
    const line = `${this.name}:${this.sent++}`;
    const text = filesOf(this.doc).get(this.path)!;
    const s = text.toString();
    const starts = [0];
    for (let i = s.indexOf('\n'); i !== -1 && i < s.length - 1; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
    let update: Uint8Array | null = null;
    const grab = (u: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) update = u;
    };
    this.doc.on('update', grab);
    text.insert(starts[Math.floor(random() * starts.length)], `${line}\n`);
    this.doc.off('update', grab);
    const p = this.send(update!).then(() => {
      this.acked.push(line);
      return line;
    });
    const tracked = p.then(
      () => {},
      () => {},
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
    return p;
  }

  send(update: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.socket as unknown as { emit(e: string, u: Uint8Array, ack: (r: Response<unknown>) => void): void }).emit('doc:update', update, (r) => {
        if (r.ok) resolve();
        else reject(new Error(`${r.error.code}: ${r.error.message}`));
      });
    });
  }

  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  text(): string {
    return filesOf(this.doc).get(this.path)?.toString() ?? '';
  }
}

/** The edit lines present in `text`. */
export function linesIn(text: string): Set<string> {
  return new Set(text.split('\n'));
}
