import type { EditBlock } from './parser';

/**
 * Applies one SEARCH/REPLACE block to a file's text. Pure: strings in, strings out.
 *
 * Rules — apply what a careful reader would, refuse what only a guess could place:
 * 1. Exact: `search` occurs once, starting a line → that range; more than once → ambiguous.
 * 2. Fuzzy, only when there is no exact match: the same number of consecutive lines that are
 *    equal once trailing whitespace is ignored and each side's common indentation is removed
 *    (relative indentation inside the block must still agree; blank lines match blank lines).
 *    Exactly one such window → fuzzy; more → ambiguous. If the file's common indentation differs
 *    from the search's, the replacement is re-indented by the same delta.
 * 3. Blank edges: when 1–2 find nothing, the search's leading and trailing blank lines are
 *    dropped (models add them), with as many of the same blank lines of the replacement.
 * 4. Elision: when 1–3 find nothing and the search has `...` lines, search and replacement are
 *    cut at them into the same number of pieces; each search piece is placed (1–2) after the
 *    previous one — the first uniquely in the file, the later ones at their nearest place — and
 *    replaced by its piece. Different piece counts, a piece not found after the previous one, an
 *    ambiguous first piece or an empty search piece with text to insert → refused (`elision`).
 * 5. Empty search creates a missing, empty or whitespace-only file (`create`); on a file with
 *    content it appends (`append`, after a newline if the file lacked a final one).
 * 6. An ambiguous search is never placed at a guess; the result lists the candidates, and the
 *    caller may pass `pick` — the candidate's index among them and their count — to apply one
 *    (honoured only while the search still matches exactly that many places).
 * 7. A file without a final newline is matched as if it had one, and keeps not having one; a CRLF
 *    file stays CRLF.
 */

export type Placement =
  | { kind: 'exact'; start: number; end: number }
  /** `indent`: the search's common indentation (`from`) and the matched lines' (`to`). */
  | { kind: 'fuzzy'; start: number; end: number; indent: { from: string; to: string } };

export type Location =
  | Placement
  | { kind: 'none' }
  /** `candidates`: the first `MAX_CANDIDATES` of the `count` places, in file order. */
  | { kind: 'ambiguous'; count: number; candidates: Placement[] };

/** Candidates listed at most for an ambiguous search (the count is always exact). */
export const MAX_CANDIDATES = 20;

export interface Range {
  start: number;
  end: number;
}

/** One place an ambiguous search matches: `line` is 1-based, the first line of the range. */
export interface Candidate extends Range {
  line: number;
}

export type ApplyMatch = 'exact' | 'fuzzy' | 'elision' | 'create' | 'append';
export type FailureReason = 'none' | 'ambiguous' | 'elision';

export type ApplyResult =
  /** `range`: what was replaced in the old text; `replacementRange`: the new text that took its place. */
  | { ok: true; match: ApplyMatch; text: string; range: Range; replacementRange: Range }
  | { ok: false; reason: 'none' | 'elision'; detail: string }
  | { ok: false; reason: 'ambiguous'; detail: string; count: number; candidates: Candidate[] };

export interface ApplyOptions {
  /** Apply an ambiguous search at candidate `index` of `of` (see rule 6). */
  pick?: { index: number; of: number };
}

/** Finds `search` in `fileText`. Example: `locate('a\nb\n', 'b\n')` → `{kind:'exact', start:2, end:4}`. */
export function locate(fileText: string, search: string): Location {
  if (search === '') {
    if (fileText === '') return { kind: 'exact', start: 0, end: 0 };
    return { kind: 'ambiguous', count: fileText.length + 1, candidates: [] };
  }
  // Rule 7: a virtual final newline, clipped off the returned range.
  const eol = fileText.includes('\r\n') ? '\r\n' : '\n';
  const hay = fileText === '' || fileText.endsWith('\n') ? fileText : fileText + eol;

  // Search sections are whole lines, so a match must start a line: `x = 1;` is not in `max = 1;`.
  // With a newline before both, an offset in `lined` is the match's start in `hay`.
  const lined = '\n' + hay;
  const needle = '\n' + search;
  const first = lined.indexOf(needle);
  if (first === -1) return locateFuzzy(fileText, hay, search);
  const at = (start: number): Placement => ({ kind: 'exact', start, end: Math.min(start + search.length, fileText.length) });
  const candidates = [at(first)];
  let count = 1;
  for (let i = lined.indexOf(needle, first + 1); i !== -1; i = lined.indexOf(needle, i + 1)) {
    count++;
    if (candidates.length < MAX_CANDIDATES) candidates.push(at(i));
  }
  return count === 1 ? candidates[0] : { kind: 'ambiguous', count, candidates };
}

/** Lines with their start offsets in `hay`; each line ends in `\n`, which is not part of `text`. */
function linesOf(hay: string): { text: string; start: number }[] {
  const lines: { text: string; start: number }[] = [];
  for (let start = 0; start < hay.length; ) {
    const nl = hay.indexOf('\n', start);
    const end = nl === -1 ? hay.length : nl;
    lines.push({ text: hay.slice(start, end), start });
    start = end + 1;
  }
  return lines;
}

const isBlank = (line: string) => !/\S/.test(line);

/** The longest whitespace prefix shared by every non-blank line. */
function commonIndent(lines: string[]): string {
  let indent: string | null = null;
  for (const line of lines) {
    if (isBlank(line)) continue;
    const own = /^[ \t]*/.exec(line)![0];
    if (indent === null) indent = own;
    else {
      let i = 0;
      while (i < indent.length && i < own.length && indent[i] === own[i]) i++;
      indent = indent.slice(0, i);
    }
  }
  return indent ?? '';
}

/** Lines as compared by the fuzzy rule: common indentation and trailing whitespace removed. */
function normalise(lines: string[]): string[] {
  const indent = commonIndent(lines);
  return lines.map((l) => (isBlank(l) ? '' : l.slice(indent.length).trimEnd()));
}

function locateFuzzy(fileText: string, hay: string, search: string): Location {
  const wanted = search.endsWith('\n') ? search.slice(0, -1).split('\n') : search.split('\n');
  if (wanted.every(isBlank)) return { kind: 'none' }; // blank lines alone would match anywhere
  const target = normalise(wanted);
  const lines = linesOf(hay);
  const from = commonIndent(wanted);
  const candidates: Placement[] = [];
  let count = 0;
  for (let i = 0; i + wanted.length <= lines.length; i++) {
    // Cheap pre-check on the first line before normalising the whole window.
    if (lines[i].text.trim() !== wanted[0].trim()) continue;
    const window = lines.slice(i, i + wanted.length).map((l) => l.text);
    if (!normalise(window).every((l, k) => l === target[k])) continue;
    count++;
    if (candidates.length >= MAX_CANDIDATES) continue;
    const last = lines[i + wanted.length - 1];
    // Like the search, the range ends after the last line's newline only if the search did.
    const end = last.start + last.text.length + (search.endsWith('\n') ? 1 : 0);
    candidates.push({ kind: 'fuzzy', start: lines[i].start, end: Math.min(end, fileText.length), indent: { from, to: commonIndent(window) } });
  }
  if (count === 0) return { kind: 'none' };
  return count === 1 ? candidates[0] : { kind: 'ambiguous', count, candidates };
}

/** Re-indents each line that starts with `from` to start with `to` instead; blank lines are left alone. */
function reindent(text: string, from: string, to: string): string {
  if (from === to) return text;
  return text
    .split('\n')
    .map((l) => (isBlank(l) || !l.startsWith(from) ? l : to + l.slice(from.length)))
    .join('\n');
}

/** 1-based line number of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The replacement as it goes into `fileText` at `p`: re-indented (rule 2), final newline kept absent (rule 7). */
function fitted(fileText: string, p: Placement, search: string, replace: string): string {
  if (p.kind === 'fuzzy') replace = reindent(replace, p.indent.from, p.indent.to);
  if (p.end === fileText.length && !fileText.endsWith('\n') && search.endsWith('\n') && replace.endsWith('\n')) {
    replace = replace.slice(0, replace.endsWith('\r\n') ? -2 : -1);
  }
  return replace;
}

function replaced(fileText: string, p: Placement, search: string, replace: string): ApplyResult {
  const r = fitted(fileText, p, search, replace);
  const text = fileText.slice(0, p.start) + r + fileText.slice(p.end);
  return { ok: true, match: p.kind, text, range: { start: p.start, end: p.end }, replacementRange: { start: p.start, end: p.start + r.length } };
}

/** Whole lines of `text`, each with its line end. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Rule 3: the search without its blank first and last lines, and the replacement without as many of its own. */
function withoutBlankEdges(search: string, replace: string): { search: string; replace: string } | null {
  const s = splitLines(search);
  const r = splitLines(replace);
  let head = 0;
  while (head < s.length && isBlank(s[head])) head++;
  if (head === s.length) return null;
  let tail = 0;
  while (isBlank(s[s.length - 1 - tail])) tail++;
  if (head === 0 && tail === 0) return null;
  let rHead = 0;
  while (rHead < head && rHead < r.length && isBlank(r[rHead])) rHead++;
  let rTail = 0;
  while (rTail < tail && rTail < r.length - rHead && isBlank(r[r.length - 1 - rTail])) rTail++;
  return { search: s.slice(head, s.length - tail).join(''), replace: r.slice(rHead, r.length - rTail).join('') };
}

const ELISION = /^\s*(\.\.\.|…)\s*$/;

/** The text cut at its `...` lines; null when it has none. */
function elidedPieces(text: string): string[] | null {
  const pieces: string[] = [''];
  for (const line of splitLines(text)) {
    if (ELISION.test(line)) pieces.push('');
    else pieces[pieces.length - 1] += line;
  }
  return pieces.length === 1 ? null : pieces;
}

/** Rule 4. Returns null when the search has no `...` lines. */
function applyElided(fileText: string, search: string, replace: string): ApplyResult | null {
  const sPieces = elidedPieces(search);
  if (sPieces === null) return null;
  const rPieces = elidedPieces(replace) ?? [replace];
  const refuse = (detail: string): ApplyResult => ({ ok: false, reason: 'elision', detail });
  if (sPieces.length !== rPieces.length) {
    return refuse(`SEARCH has ${sPieces.length - 1} "..." line(s) and REPLACE ${rPieces.length - 1}; they must pair up`);
  }
  let from = 0;
  let out = '';
  let first: number | null = null;
  for (let k = 0; k < sPieces.length; k++) {
    const s = sPieces[k];
    const r = rPieces[k];
    if (isBlank(s)) {
      if (s === r || (s === '' && isBlank(r))) continue;
      return refuse(`piece ${k + 1} of SEARCH is empty, so there is no place for its replacement`);
    }
    const rest = fileText.slice(from);
    const loc = locate(rest, s);
    let p: Placement;
    if (loc.kind === 'none') {
      const anywhere = locate(fileText, s).kind !== 'none';
      return refuse(anywhere ? `piece ${k + 1} of SEARCH is in the file, but not after piece ${k}` : `piece ${k + 1} of SEARCH is not in the file`);
    } else if (loc.kind === 'ambiguous') {
      if (first === null) return refuse(`piece 1 of SEARCH occurs ${loc.count} times`);
      p = loc.candidates[0]; // nearest after the previous piece
    } else p = loc;
    const start = from + p.start;
    const end = from + p.end;
    const piece = fitted(fileText, { ...p, start, end }, s, r);
    if (first === null) first = start;
    else out += fileText.slice(from, start);
    out += piece;
    from = end;
  }
  if (first === null) return refuse('SEARCH has only "..." and blank lines');
  const text = fileText.slice(0, first) + out + fileText.slice(from);
  return { ok: true, match: 'elision', text, range: { start: first, end: from }, replacementRange: { start: first, end: first + out.length } };
}

function ambiguous(fileText: string, loc: Extract<Location, { kind: 'ambiguous' }>): ApplyResult {
  const candidates = loc.candidates.map((p) => ({ start: p.start, end: p.end, line: lineAt(fileText, p.start) }));
  const lines = candidates.map((c) => c.line).join(', ');
  return { ok: false, reason: 'ambiguous', count: loc.count, candidates, detail: `SEARCH matches ${loc.count} places (lines ${lines}${loc.count > candidates.length ? ', …' : ''})` };
}

/**
 * Applies `block` to `fileText` (`null`: the file does not exist).
 * Example: `applyBlock('a\nb\n', {search:'b\n', replace:'c\n'})` → `{ok:true, text:'a\nc\n', …}`.
 */
export function applyBlock(fileText: string | null, block: Pick<EditBlock, 'search' | 'replace'>, options: ApplyOptions = {}): ApplyResult {
  if (block.search === '') {
    if (fileText === null || isBlank(fileText)) {
      const length = fileText?.length ?? 0;
      return { ok: true, match: 'create', text: block.replace, range: { start: 0, end: length }, replacementRange: { start: 0, end: block.replace.length } };
    }
    const crlf = fileText.includes('\r\n');
    const eol = crlf ? '\r\n' : '\n';
    const added = (fileText.endsWith('\n') ? '' : eol) + (crlf ? block.replace.replace(/\r?\n/g, '\r\n') : block.replace);
    const end = fileText.length;
    return { ok: true, match: 'append', text: fileText + added, range: { start: end, end }, replacementRange: { start: end, end: end + added.length } };
  }
  if (fileText === null) return { ok: false, reason: 'none', detail: 'the file does not exist' };

  // The parser emits LF; keep a CRLF file CRLF.
  const crlf = fileText.includes('\r\n');
  const search = crlf ? block.search.replace(/\r?\n/g, '\r\n') : block.search;
  const replace = crlf ? block.replace.replace(/\r?\n/g, '\r\n') : block.replace;

  const variants = [{ search, replace }];
  const trimmed = withoutBlankEdges(search, replace);
  if (trimmed) variants.push(trimmed);
  for (const v of variants) {
    const loc = locate(fileText, v.search);
    if (loc.kind === 'none') continue;
    if (loc.kind !== 'ambiguous') return replaced(fileText, loc, v.search, v.replace);
    const pick = options.pick;
    if (pick && pick.of === loc.count && pick.index >= 0 && pick.index < loc.candidates.length) {
      return replaced(fileText, loc.candidates[pick.index], v.search, v.replace);
    }
    return ambiguous(fileText, loc);
  }
  const elided = applyElided(fileText, search, replace);
  if (elided) return elided;
  return { ok: false, reason: 'none', detail: 'SEARCH is not in the file, even ignoring indentation and trailing whitespace' };
}
