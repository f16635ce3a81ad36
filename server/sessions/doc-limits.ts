import * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';
import { FlintError } from '../errors';

export interface DocLimitOptions {
  /** Largest encoded document (`Y.encodeStateAsUpdate`, what a joiner downloads), in bytes. */
  maxDocBytes: number;
  /** Most files in one session. */
  maxFiles: number;
}

/** An upper bound of the bytes `text` takes in a Yjs update (UTF-8: at most 3 bytes per UTF-16 unit). */
export function textBytes(text: string): number {
  return 3 * text.length;
}

/** Room for the ids, keys and headers around a write's text. */
const WRITE_OVERHEAD = 512;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return `${n} bytes`;
}

/**
 * The size and file-count limits of a session's document, checked BEFORE a change is applied:
 * a refused change is never applied, so it is neither stored nor broadcast.
 *
 * Size = the encoded Yjs state (`Y.encodeStateAsUpdate`). Measuring it costs O(document), so
 * each document keeps an upper bound: its last exact size plus the bytes of every update since
 * (an update never grows the encoded state by more than its own length). Far from the limit a
 * check costs O(1); near it the size is measured again, and only when the change may still
 * cross it is the change tried on a copy of the document and the result measured.
 *
 * A change is refused when the result is over the limit AND larger than before, so a document
 * already over a (lowered) limit still takes changes that shrink it.
 */
export class DocLimits {
  private readonly bounds = new WeakMap<Y.Doc, { bytes: number }>();

  constructor(readonly opts: DocLimitOptions) {}

  /** The upper bound, tracked from now on for this document. */
  private bound(doc: Y.Doc): { bytes: number } {
    let b = this.bounds.get(doc);
    if (!b) {
      const tracked = { bytes: Y.encodeStateAsUpdate(doc).byteLength };
      doc.on('update', (update: Uint8Array) => {
        tracked.bytes += update.byteLength;
      });
      this.bounds.set(doc, tracked);
      b = tracked;
    }
    return b;
  }

  /** The exact encoded size now (and the state, for a copy). */
  private measure(doc: Y.Doc): { bytes: number; state: Uint8Array } {
    const state = Y.encodeStateAsUpdate(doc);
    this.bound(doc).bytes = state.byteLength;
    return { bytes: state.byteLength, state };
  }

  /** The exact encoded size of `doc`. */
  size(doc: Y.Doc): number {
    return this.measure(doc).bytes;
  }

  /**
   * Throws `limitExceeded` when applying a client's `update` would grow the document past
   * `maxDocBytes` or add files past `maxFiles`. Applies nothing.
   */
  checkUpdate(doc: Y.Doc, update: Uint8Array): void {
    // Each new file is a new Y.Text: an update without new shared types adds no file.
    const newTypes = countNewTypes(update);
    const filesBefore = newTypes ? filesOf(doc).size : 0; // Y.Map#size walks the map: only when needed
    const filesFit = newTypes === 0 || filesBefore + newTypes <= this.opts.maxFiles;
    if (filesFit && this.bound(doc).bytes + update.byteLength <= this.opts.maxDocBytes) return;
    const before = this.measure(doc);
    if (filesFit && before.bytes + update.byteLength <= this.opts.maxDocBytes) return;
    const probe = copyOf(before.state);
    Y.applyUpdate(probe, update);
    this.judge(probe, before.bytes, newTypes ? filesBefore : filesOf(doc).size);
  }

  /**
   * Runs `write` on `doc` unless it would grow the document past `maxDocBytes` (then throws
   * `limitExceeded` and `doc` is untouched). `estimate`: an upper bound of the bytes it adds
   * (`textBytes` of its text plus overhead); near the limit `write` is first run on a copy.
   * `write` must do the same on any copy of the document (no randomness, no outside state).
   */
  write<T>(doc: Y.Doc, estimate: number, write: (doc: Y.Doc) => T): T {
    const grow = estimate + WRITE_OVERHEAD;
    if (this.bound(doc).bytes + grow <= this.opts.maxDocBytes) return write(doc);
    const before = this.measure(doc);
    if (before.bytes + grow <= this.opts.maxDocBytes) return write(doc);
    const probe = copyOf(before.state);
    write(probe);
    this.judge(probe, before.bytes, filesOf(doc).size);
    return write(doc);
  }

  /** Refuses adding a file when the session has `maxFiles` already. */
  checkNewFile(doc: Y.Doc): void {
    const n = filesOf(doc).size;
    if (n >= this.opts.maxFiles) throw tooManyFiles(n + 1, this.opts.maxFiles);
  }

  private judge(probe: Y.Doc, bytesBefore: number, filesBefore: number): void {
    const files = filesOf(probe).size;
    if (files > this.opts.maxFiles && files > filesBefore) throw tooManyFiles(files, this.opts.maxFiles);
    const bytes = Y.encodeStateAsUpdate(probe).byteLength;
    probe.destroy();
    if (bytes > this.opts.maxDocBytes && bytes > bytesBefore) {
      throw new FlintError(
        'limitExceeded',
        `The session's document would grow to ${formatBytes(bytes)}, over this server's limit of ${formatBytes(this.opts.maxDocBytes)} (${this.opts.maxDocBytes} bytes, FLINT_MAX_DOC_BYTES). Remove some text or files first.`,
      );
    }
  }
}

function tooManyFiles(files: number, max: number): FlintError {
  return new FlintError('limitExceeded', `The session would have ${files} files; this server allows at most ${max} (FLINT_MAX_FILES). Delete a file first.`);
}

function copyOf(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  Y.applyUpdate(doc, state);
  return doc;
}

/** Shared types (Y.Text, Y.Map, …) an update creates: an upper bound of the files it adds. */
function countNewTypes(update: Uint8Array): number {
  let n = 0;
  for (const s of Y.decodeUpdate(update).structs) if (s instanceof Y.Item && s.content instanceof Y.ContentType) n++;
  return n;
}
