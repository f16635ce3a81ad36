import type { EditBlock } from './parser';

/**
 * Applies one SEARCH/REPLACE block to a file's text. Pure: strings in, strings out.
 *
 * Rules (never guess — a block that cannot be placed unambiguously is refused):
 * 1. Exact: `search` occurs once, starting a line → that range; more than once → ambiguous.
 * 2. Fuzzy, only when there is no exact match: the same number of consecutive lines that are
 *    equal once trailing whitespace is ignored and each side's common indentation is removed
 *    (relative indentation inside the block must still agree; blank lines match blank lines).
 *    Exactly one such window → fuzzy; more → ambiguous. If the file's common indentation differs
 *    from the search's, the replacement is re-indented by the same delta.
 * 3. A file without a final newline is matched as if it had one, and keeps not having one.
 * 4. Empty search creates the file when it is missing or only whitespace; on a file with content it
 *    is refused (`exists`): overwriting or appending would both be guesses.
 */

export type Location =
  | { kind: 'exact'; start: number; end: number }
  /** `indent`: the search's common indentation (`from`) and the matched lines' (`to`). */
  | { kind: 'fuzzy'; start: number; end: number; indent: { from: string; to: string } }
  | { kind: 'none' }
  | { kind: 'ambiguous'; count: number };

export interface Range {
  start: number;
  end: number;
}

export type ApplyResult =
  /** `range`: what was replaced in the old text; `replacementRange`: the new text that took its place. */
  | { ok: true; match: 'exact' | 'fuzzy' | 'create'; text: string; range: Range; replacementRange: Range }
  | { ok: false; reason: 'none' | 'ambiguous' | 'exists' };

/** Finds `search` in `fileText`. Example: `locate('a\nb\n', 'b\n')` → `{kind:'exact', start:2, end:4}`. */
export function locate(fileText: string, search: string): Location {
  if (search === '') return fileText === '' ? { kind: 'exact', start: 0, end: 0 } : { kind: 'ambiguous', count: fileText.length + 1 };
  // Rule 3: a virtual final newline, clipped off the returned range.
  const eol = fileText.includes('\r\n') ? '\r\n' : '\n';
  const hay = fileText === '' || fileText.endsWith('\n') ? fileText : fileText + eol;

  // Search sections are whole lines, so a match must start a line: `x = 1;` is not in `max = 1;`.
  // With a newline before both, an offset in `lined` is the match's start in `hay`.
  const lined = '\n' + hay;
  const needle = '\n' + search;
  const first = lined.indexOf(needle);
  if (first === -1) return locateFuzzy(fileText, hay, search);
  let count = 1;
  for (let i = lined.indexOf(needle, first + 1); i !== -1; i = lined.indexOf(needle, i + 1)) count++;
  if (count > 1) return { kind: 'ambiguous', count };
  return { kind: 'exact', start: first, end: Math.min(first + search.length, fileText.length) };
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
  const matches: number[] = [];
  for (let i = 0; i + wanted.length <= lines.length; i++) {
    // Cheap pre-check on the first line before normalising the whole window.
    if (lines[i].text.trim() !== wanted[0].trim()) continue;
    const window = normalise(lines.slice(i, i + wanted.length).map((l) => l.text));
    if (window.every((l, k) => l === target[k])) matches.push(i);
  }
  if (matches.length === 0) return { kind: 'none' };
  if (matches.length > 1) return { kind: 'ambiguous', count: matches.length };

  const i = matches[0];
  const last = lines[i + wanted.length - 1];
  // Like the search, the range ends after the last line's newline only if the search did.
  const end = last.start + last.text.length + (search.endsWith('\n') ? 1 : 0);
  const from = commonIndent(wanted);
  const to = commonIndent(lines.slice(i, i + wanted.length).map((l) => l.text));
  return { kind: 'fuzzy', start: lines[i].start, end: Math.min(end, fileText.length), indent: { from, to } };
}

/** Re-indents each line that starts with `from` to start with `to` instead; blank lines are left alone. */
function reindent(text: string, from: string, to: string): string {
  if (from === to) return text;
  return text
    .split('\n')
    .map((l) => (isBlank(l) || !l.startsWith(from) ? l : to + l.slice(from.length)))
    .join('\n');
}

/**
 * Applies `block` to `fileText` (`null`: the file does not exist).
 * Example: `applyBlock('a\nb\n', {search:'b\n', replace:'c\n'})` → `{ok:true, text:'a\nc\n', …}`.
 */
export function applyBlock(fileText: string | null, block: Pick<EditBlock, 'search' | 'replace'>): ApplyResult {
  if (block.search === '') {
    if (fileText !== null && !isBlank(fileText)) return { ok: false, reason: 'exists' };
    const length = fileText?.length ?? 0;
    return { ok: true, match: 'create', text: block.replace, range: { start: 0, end: length }, replacementRange: { start: 0, end: block.replace.length } };
  }
  if (fileText === null) return { ok: false, reason: 'none' };

  // The parser emits LF; keep a CRLF file CRLF.
  const crlf = fileText.includes('\r\n');
  const search = crlf ? block.search.replace(/\r?\n/g, '\r\n') : block.search;
  let replace = crlf ? block.replace.replace(/\r?\n/g, '\r\n') : block.replace;

  const loc = locate(fileText, search);
  if (loc.kind === 'none' || loc.kind === 'ambiguous') return { ok: false, reason: loc.kind };
  if (loc.kind === 'fuzzy') replace = reindent(replace, loc.indent.from, loc.indent.to);
  // Matched the virtual final newline (rule 3): do not add one.
  if (loc.end === fileText.length && !fileText.endsWith('\n') && search.endsWith('\n') && replace.endsWith('\n')) {
    replace = replace.slice(0, crlf ? -2 : -1);
  }
  const text = fileText.slice(0, loc.start) + replace + fileText.slice(loc.end);
  return { ok: true, match: loc.kind, text, range: { start: loc.start, end: loc.end }, replacementRange: { start: loc.start, end: loc.start + replace.length } };
}
