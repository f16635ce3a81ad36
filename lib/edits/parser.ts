/**
 * Incremental parser for the model's SEARCH/REPLACE edit format (see CONTEXT.md for the format).
 * Feed it the response as it streams; it returns typed events as blocks open, stream and close.
 *
 * Invariants:
 * - Chunking never changes the result: for any split of the same input, the events are the same
 *   once consecutive `text` events and consecutive deltas of one kind are concatenated.
 * - Markers are whole lines at column 0, matched exactly, optionally followed by whitespace.
 *   Which markers count depends on the state: outside a block only `<<<<<<< SEARCH`; in SEARCH
 *   `=======` (divider) and `>>>>>>> REPLACE` (a malformed block: no divider); in REPLACE only
 *   `>>>>>>> REPLACE`. Every other line is content, so `=======` is ordinary text in prose and
 *   in a REPLACE section.
 * - Section content is whole lines with their `\n`; marker lines are never content. Content is
 *   emitted as soon as the current line can no longer become a marker line, so only a possible
 *   partial marker line is ever held back (a few characters).
 * - Prose is held back only while it may be a block header (a path line, a fence, blank lines
 *   between them) — at most `MAX_HELD` complete lines plus the current line.
 * - Line ends are LF in every event: CRs right before an LF are dropped; any other CR is kept.
 * - Each input character is examined a bounded number of times: complete lines are split with
 *   `indexOf` from the last position, and the undecided current line is at most
 *   `MAX_HEADER_CHARS` (prose) or a marker's length plus trailing whitespace (sections).
 * - Every `blockOpen` is followed by exactly one `blockClose` or `blockAbort` with its index.
 */

/** One parsed SEARCH/REPLACE block, e.g. `{index:0, path:'src/cart.ts', search:'a\n', replace:'b\n'}`. */
export interface EditBlock {
  /** 0-based, in order of appearance in the response. */
  index: number;
  /** As written by the model (not validated); `null` when neither the block, an earlier block nor `defaultPath` names a file. */
  path: string | null;
  /** Whole lines, each ending in `\n`; empty for a new file. */
  search: string;
  replace: string;
}

/** Events returned by `push` and `end`, in stream order. Example: `{type:'replaceDelta', index:0, text:'  return 1;\n'}`. */
export type EditEvent =
  | { type: 'text'; text: string }
  | { type: 'blockOpen'; index: number; path: string | null }
  | { type: 'searchDelta'; index: number; text: string }
  /** The divider was seen: `search` is complete and can be located in the file. */
  | { type: 'searchEnd'; index: number; search: string }
  | { type: 'replaceDelta'; index: number; text: string }
  | ({ type: 'blockClose' } & EditBlock)
  | {
      type: 'blockAbort';
      index: number;
      path: string | null;
      /** `truncated`: the stream ended inside the block; `malformed`: `>>>>>>> REPLACE` came before `=======`. */
      reason: 'truncated' | 'malformed';
      /** What had streamed; `replace` is null when the divider was never reached. Never apply it. */
      partial: { search: string; replace: string | null };
    };

export interface EditStreamParserOptions {
  /** Path for blocks that name no file and follow no named block (e.g. the prompt's open file). */
  defaultPath?: string;
  /**
   * The workspace file a written path means (`./src/a.ts`, `a.ts` when it is a unique basename:
   * `resolvePath` in paths.ts), or null when none. Without it a path is taken as written.
   * A word without `/` or an extension (`Makefile`) is a path only when this resolves it.
   */
  resolvePath?: (written: string) => string | null;
}

/** A marker is a run of 5 to 9 of one character (7 is the canonical form), then its word if any. */
interface Marker {
  ch: '<' | '=' | '>';
  /** `' SEARCH'`, `' REPLACE'` or `''` (the divider). */
  word: string;
}
const OPEN: Marker = { ch: '<', word: ' SEARCH' };
const DIVIDER: Marker = { ch: '=', word: '' };
const CLOSE: Marker = { ch: '>', word: ' REPLACE' };
const MIN_RUN = 5;
const MAX_RUN = 9;
/** A longer line is never a marker (bounds indentation and trailing whitespace, and the work per line). */
const MAX_MARKER_LINE = 80;

/** A header line longer than this is prose (paths are at most 256 characters: lib/protocol/limits.ts). */
const MAX_HEADER_CHARS = 512;
/** Header-candidate lines kept back at most; older ones are released as prose. */
const MAX_HELD = 8;

const isSpace = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * Whether `p` is (`complete`) or may still become (`!complete`) a marker line: optional
 * indentation, 5–9 × `ch`, the word (`<<<<<<< SEARCH>` is tolerated), trailing whitespace.
 */
function markerMatch(p: string, m: Marker, complete: boolean): boolean {
  if (p.length > MAX_MARKER_LINE) return false;
  let i = 0;
  while (isSpace(p[i])) i++;
  let run = 0;
  while (p[i] === m.ch) {
    i++;
    run++;
  }
  if (run > MAX_RUN) return false;
  if (i === p.length) return complete ? run >= MIN_RUN && m.word === '' : true;
  if (run < MIN_RUN) return false;
  let rest = p.slice(i);
  if (rest.length < m.word.length) return !complete && m.word.startsWith(rest);
  if (!rest.startsWith(m.word)) return false;
  rest = rest.slice(m.word.length);
  if (m === OPEN && rest.startsWith('>')) rest = rest.slice(1);
  return !/\S/.test(rest);
}

const isMarkerLine = (line: string, m: Marker) => markerMatch(line, m, true);
const mayBeMarker = (p: string, m: Marker) => markerMatch(p, m, false);

const isBlank = (line: string) => !/\S/.test(line);
const isFence = (line: string) => line.trimStart().startsWith('```');

/**
 * Strips what models wrap a path in: a markdown heading, bold or italics, `File:` / `Path:`,
 * backticks, a trailing colon. `### **`src/a.ts`**:` → `src/a.ts`. Not yet checked to be a path.
 */
function unwrapHeader(line: string): string {
  let s = line.trim();
  for (let pass = 0; pass < 4; pass++) {
    const before = s;
    s = s.replace(/^#{1,6}\s+/, '');
    s = s.replace(/^(\*\*|__|\*|_)(.+)\1$/, '$2').trim();
    s = s.replace(/^(?:file|path|filename)\s*:\s*/i, '');
    s = s.replace(/^`([^`]+)`$/, '$1').trim();
    s = s.replace(/:$/, '');
    if (s === before) break;
  }
  return s;
}

/** Prose that could still turn out to be a header line: a fence, an open marker, or one word (a path) however wrapped. */
function mayBeHeader(p: string): boolean {
  if (p.length > MAX_HEADER_CHARS) return false;
  if (mayBeMarker(p, OPEN) || isFence(p)) return true;
  // An incomplete line: only the openings of the wrappers can have arrived.
  const s = p
    .trim()
    .replace(/^#{1,6}(\s+|$)/, '')
    .replace(/^(\*\*|__|\*|_)/, '')
    .replace(/^(?:file|path|filename)\s*:\s*/i, '');
  return !/\s/.test(s.trim());
}

/** `a.ts`, `src/a`, `./x/y.json`, `.env`: a directory or an extension. Language tags (`ts`, `python`) and `...` have neither. */
function looksLikePath(s: string): boolean {
  if (/^\.+$/.test(s) || /^[<=>]{5}/.test(s) || s.includes('`')) return false;
  return s.includes('/') || /[^.]\.[A-Za-z0-9_+-]+$/.test(s) || /^\.[A-Za-z0-9_-]+$/.test(s);
}

/** Removes the CRs right before each LF. By hand: a regex like /\r+\n/g backtracks on long CR runs. */
function dropCRBeforeLF(s: string): string {
  if (!s.includes('\r')) return s;
  let out = '';
  let from = 0;
  for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', nl + 1)) {
    let end = nl;
    while (end > from && s[end - 1] === '\r') end--;
    out += s.slice(from, end) + '\n';
    from = nl + 1;
  }
  return out + s.slice(from);
}

type Streamed = Extract<EditEvent, { type: 'text' | 'searchDelta' | 'replaceDelta' }>;
const isStreamed = (e: EditEvent): e is Streamed => e.type === 'text' || e.type === 'searchDelta' || e.type === 'replaceDelta';

type State = 'prose' | 'search' | 'replace';

export class EditStreamParser {
  private state: State = 'prose';
  private out: EditEvent[] = [];
  private ended = false;

  /** The current, incomplete line not yet emitted (it may still become a marker or header). */
  private line = '';
  /** The current line is known to be content/prose and has been emitted as far as it has arrived. */
  private lineDecided = false;
  /** Trailing `\r`s of the last chunk, waiting to see whether a `\n` follows. */
  private pendingCR = '';

  /** Complete prose lines (with their `\n`) that may be the header of a block. */
  private held: string[] = [];
  /** Parity of ``` fences seen in prose, so a fence before a block can be told opening from closing. */
  private fenceOpen = false;
  /** Only blank lines since the last block ended: a fence now closes the fence around that block. */
  private afterBlock = false;

  private index = -1;
  private path: string | null = null;
  private lastPath: string | null;
  private search = '';
  private replace = '';

  private readonly resolvePath: ((written: string) => string | null) | undefined;

  constructor(options: EditStreamParserOptions = {}) {
    this.lastPath = options.defaultPath ?? null;
    this.resolvePath = options.resolvePath;
  }

  /** Feeds the next piece of the response, split anywhere. Returns the events it completes. */
  push(chunk: string): EditEvent[] {
    if (this.ended) throw new Error('EditStreamParser: push() after end()');
    // A chunk may end between CR and LF: hold trailing CRs until the next chunk shows what follows.
    let cut = chunk.length;
    while (cut > 0 && chunk[cut - 1] === '\r') cut--;
    if (cut === 0) {
      this.pendingCR += chunk;
      return [];
    }
    const crs = chunk.slice(cut);
    chunk = dropCRBeforeLF(this.pendingCR + chunk.slice(0, cut));
    this.pendingCR = crs;

    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      this.completeLine(chunk.slice(start, nl), '\n');
      start = nl + 1;
    }
    if (start < chunk.length) this.extendLine(chunk.slice(start));
    return this.take();
  }

  /** The response is complete: finishes the last line and aborts a block left open. */
  end(): EditEvent[] {
    if (this.ended) return [];
    if (this.pendingCR) this.extendLine(this.pendingCR);
    this.pendingCR = '';
    this.ended = true;
    // The last line often has no newline; it still counts (e.g. a final `>>>>>>> REPLACE`).
    if (this.line || this.lineDecided) this.completeLine('', '');
    if (this.state !== 'prose') {
      this.emit({
        type: 'blockAbort',
        index: this.index,
        path: this.path,
        reason: 'truncated',
        partial: { search: this.search, replace: this.state === 'replace' ? this.replace : null },
      });
      this.state = 'prose';
    }
    this.flushHeld(this.held.length);
    return this.take();
  }

  private take(): EditEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  /** Appends to the last event when it is text of the same kind, so a push yields few events. */
  private emit(event: EditEvent): void {
    const last = this.out[this.out.length - 1];
    // Consecutive deltas of one kind always belong to the same block: open/close events separate blocks.
    if (isStreamed(event) && last?.type === event.type) (last as typeof event).text += event.text;
    else this.out.push(event);
  }

  private content(text: string): void {
    if (!text) return;
    if (this.state === 'prose') {
      this.flushHeld(this.held.length);
      this.afterBlock = false;
      this.emit({ type: 'text', text });
    } else if (this.state === 'search') {
      this.search += text;
      this.emit({ type: 'searchDelta', index: this.index, text });
    } else {
      this.replace += text;
      this.emit({ type: 'replaceDelta', index: this.index, text });
    }
  }

  /** Whether the undecided line `p` must still be held back in the current state. */
  private mayBeSpecial(p: string): boolean {
    if (this.state === 'prose') return mayBeHeader(p);
    if (this.state === 'search') return mayBeMarker(p, DIVIDER) || mayBeMarker(p, CLOSE);
    return mayBeMarker(p, CLOSE);
  }

  /** Part of a line arrived without its end. */
  private extendLine(s: string): void {
    if (this.lineDecided) return this.content(s);
    this.line += s;
    if (this.mayBeSpecial(this.line)) return;
    this.lineDecided = true;
    const text = this.line;
    this.line = '';
    this.content(text);
  }

  /** The current line ends with `rest` + `eol` (`eol` is '' only for the last line at `end()`). */
  private completeLine(rest: string, eol: string): void {
    if (this.lineDecided) {
      this.lineDecided = false;
      return this.content(rest + eol);
    }
    const line = this.line + rest;
    this.line = '';
    if (this.state === 'prose') this.proseLine(line, eol);
    else if (this.state === 'search') {
      if (isMarkerLine(line, DIVIDER)) {
        this.state = 'replace';
        this.emit({ type: 'searchEnd', index: this.index, search: this.search });
      } else if (isMarkerLine(line, CLOSE)) {
        this.emit({ type: 'blockAbort', index: this.index, path: this.path, reason: 'malformed', partial: { search: this.search, replace: null } });
        this.state = 'prose';
        this.afterBlock = true;
      } else this.content(line + eol);
    } else if (isMarkerLine(line, CLOSE)) {
      this.emit({ type: 'blockClose', index: this.index, path: this.path, search: this.search, replace: this.replace });
      this.state = 'prose';
      this.afterBlock = true;
    } else this.content(line + eol);
  }

  private proseLine(line: string, eol: string): void {
    if (isMarkerLine(line, OPEN)) return this.openBlock();
    if (!mayBeHeader(line)) return this.content(line + eol);
    if (isFence(line)) {
      // The fence that closes a fenced block: swallow it (and the blank lines inside it).
      if (this.fenceOpen && this.afterBlock && this.held.every(isBlank)) {
        this.held = [];
        this.fenceOpen = false;
        this.afterBlock = false;
        return;
      }
    } else if (!isBlank(line) && this.pathOf(line) === null) {
      return this.content(line + eol);
    }
    if (!isBlank(line)) this.afterBlock = false;
    this.held.push(line + eol);
    if (this.held.length > MAX_HELD) this.flushHeld(1);
  }

  /** Releases the first `n` held lines as prose, keeping track of fence parity. */
  private flushHeld(n: number): void {
    const lines = this.held.splice(0, n);
    for (const line of lines) {
      if (isFence(line)) this.fenceOpen = !this.fenceOpen;
      this.emit({ type: 'text', text: line });
    }
  }

  /** A header line naming a file (`src/a.ts`, `### ./src/a.ts`, `**a.ts**` …) → its path; anything else → null. */
  private pathOf(line: string): string | null {
    if (isFence(line)) return null;
    const s = unwrapHeader(line);
    return s === '' || /\s/.test(s) ? null : this.resolve(s);
  }

  /** The info string of a fence when it is a path (```` ```src/a.ts ````), not a language tag. */
  private fencePath(line: string): string | null {
    const info = line.trim().replace(/^`{3,}/, '').trim();
    return info === '' || /\s/.test(info) ? null : this.resolve(info);
  }

  private resolve(written: string): string | null {
    const path = written.replace(/^(\.\/)+/, '');
    if (path === '') return null;
    const known = this.resolvePath?.(path) ?? null;
    if (known !== null) return known;
    return looksLikePath(path) ? path : null;
  }

  /**
   * `<<<<<<< SEARCH` arrived. The header is the tail of the held lines made of fences, blank lines
   * and at most one path, not starting with a blank line (those stay prose). Opening fences in it
   * are swallowed; a fence that closes a prose fence stays prose.
   */
  private openBlock(): void {
    let start = this.held.length;
    let path: string | null = null;
    let pathLine = false;
    while (start > 0) {
      const line = this.held[start - 1];
      if (isBlank(line)) start--;
      else if (isFence(line)) {
        // ```src/a.ts: the path as the fence's info string.
        path ??= this.fencePath(line);
        start--;
      } else if (!pathLine && path === null && this.pathOf(line) !== null) {
        path = this.pathOf(line);
        pathLine = true;
        start--;
      } else break;
    }
    while (start < this.held.length && isBlank(this.held[start])) start++;
    this.flushHeld(start);
    for (const line of this.held) {
      if (!isFence(line)) continue;
      if (this.fenceOpen) this.emit({ type: 'text', text: line });
      this.fenceOpen = !this.fenceOpen;
    }
    this.held = [];
    this.afterBlock = false;

    this.index++;
    this.path = path ?? this.lastPath;
    this.lastPath = this.path; // even if this block turns out malformed, the next may continue its file
    this.search = '';
    this.replace = '';
    this.state = 'search';
    this.emit({ type: 'blockOpen', index: this.index, path: this.path });
  }
}
