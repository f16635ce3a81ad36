import { applyBlock, type ApplyResult, type Candidate } from './apply';
import type { EditBlock } from './parser';

/**
 * What Flint shows and tells the model about a block that did not apply: the lines of the file
 * most like its SEARCH (run only on failure — never on the streaming path), and the follow-up
 * message that reports the failures back (aider's "reflection": the second try, told what went
 * wrong, roughly doubles the pass rate).
 */

/** The window of the file most like a SEARCH text. `startLine`/`endLine` are 1-based, inclusive. */
export interface ClosestLines {
  startLine: number;
  endLine: number;
  text: string;
  /** 0–1: mean per-line similarity (character bigrams, Dice coefficient). */
  similarity: number;
}

/** Below this the best window is not shown: it would be noise. */
const MIN_SIMILARITY = 0.35;
/** Lines of SEARCH compared at most (its first ones); bounds the work to `lines × file lines`. */
const MAX_SEARCH_LINES = 60;
/** Line pairs compared at most in the first pass; a larger file is scanned in steps, then refined. */
const MAX_PAIRS = 100_000;

/** A line's character bigrams as sorted codes (whitespace runs collapsed, ends trimmed). */
function bigrams(line: string): Uint32Array {
  const s = line.trim().replace(/\s+/g, ' ');
  const out = new Uint32Array(Math.max(0, s.length - 1));
  for (let i = 0; i < s.length - 1; i++) out[i] = (s.charCodeAt(i) << 16) | s.charCodeAt(i + 1);
  return out.sort();
}

/** Dice coefficient of two sorted bigram multisets; two lines without bigrams are alike only if equal. */
function dice(a: Uint32Array, b: Uint32Array, aLine: string, bLine: string): number {
  if (a.length === 0 || b.length === 0) return aLine.trim() === bLine.trim() ? 1 : 0;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return (2 * common) / (a.length + b.length);
}

/**
 * The lines of `fileText` most like `search`: every window of as many lines is scored by the mean
 * similarity of its lines to the search's. Example: a search `return a + b;` against a file with
 * `  return a - b;` → that line, similarity ≈ 0.8. Null when nothing is similar enough.
 */
export function closestLines(fileText: string | null, search: string): ClosestLines | null {
  if (!fileText) return null;
  const wanted = search.replace(/\n$/, '').split('\n').slice(0, MAX_SEARCH_LINES);
  while (wanted.length && !wanted[0].trim()) wanted.shift();
  while (wanted.length && !wanted[wanted.length - 1].trim()) wanted.pop();
  if (!wanted.length) return null;
  const lines = fileText.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const n = Math.min(wanted.length, lines.length);
  const w = wanted.map(bigrams);
  const f: (Uint32Array | undefined)[] = new Array(lines.length);
  const line = (i: number) => (f[i] ??= bigrams(lines[i]));
  const score = (i: number) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += dice(w[k], line(i + k), wanted[k], lines[i + k]);
    return sum / wanted.length;
  };
  const windows = lines.length - n + 1;
  const step = Math.max(1, Math.ceil((windows * n) / MAX_PAIRS));
  let best = { start: 0, score: -1 };
  for (let i = 0; i < windows; i += step) {
    const sc = score(i);
    if (sc > best.score) best = { start: i, score: sc };
  }
  // Stepped: the best window is within a step of the best one sampled.
  for (let i = Math.max(0, best.start - step + 1); step > 1 && i < Math.min(windows, best.start + step); i++) {
    const sc = score(i);
    if (sc > best.score) best = { start: i, score: sc };
  }
  if (best.score < MIN_SIMILARITY) return null;
  return { startLine: best.start + 1, endLine: best.start + n, text: lines.slice(best.start, best.start + n).join('\n') + '\n', similarity: Math.round(best.score * 100) / 100 };
}

/** One block that did not apply, as the review shows it and the report tells it. */
export interface BlockFailure {
  /** 0-based block index in its answer. */
  index: number;
  /** Null for a block that named no file. */
  path: string | null;
  block: Pick<EditBlock, 'search' | 'replace'>;
  /** As `applyBlock` refused it, or why it never became a hunk: `malformed` (no divider), `noFile` (no usable path). */
  reason: 'none' | 'ambiguous' | 'elision' | 'malformed' | 'noFile';
  detail: string;
  /** For `ambiguous`: where it matches. */
  candidates?: Candidate[];
  /** For `none` / `elision`: the lines most like the SEARCH. */
  closest?: ClosestLines | null;
}

/** The failure of `block` against `fileText` now, or null when it applies. */
export function describeFailure(index: number, path: string, fileText: string | null, block: Pick<EditBlock, 'search' | 'replace'>, result?: ApplyResult): BlockFailure | null {
  const r = result ?? applyBlock(fileText, block);
  if (r.ok) return null;
  const failure: BlockFailure = { index, path, block, reason: r.reason, detail: r.detail };
  if (r.reason === 'ambiguous') failure.candidates = r.candidates;
  else failure.closest = closestLines(fileText, block.search);
  return failure;
}

/** The follow-up message's size cap (a prompt has a ceiling; a huge SEARCH is cut). */
const MAX_REPORT_CHARS = 12_000;
const MAX_SECTION_CHARS = 3_000;

function cut(text: string): string {
  return text.length <= MAX_SECTION_CHARS ? text : text.slice(0, MAX_SECTION_CHARS) + '\n[… cut]\n';
}

/**
 * The message that reports failed blocks back to the model, e.g.
 * "1 SEARCH/REPLACE block failed to apply … Did you mean these lines of src/a.ts (3–4)? …".
 * `applied`: how many blocks of the same answer did apply (they stay; resend only the failed ones).
 */
export function failureReport(failures: BlockFailure[], applied: number): string {
  const parts: string[] = [];
  const n = failures.length;
  parts.push(`${n} SEARCH/REPLACE block${n === 1 ? '' : 's'} of your last answer failed to apply.`);
  for (const f of failures) {
    const head = `## Block ${f.index + 1}${f.path ? ` (${f.path})` : ''}: ${f.detail}.`;
    const block = cut(`<<<<<<< SEARCH\n${f.block.search}=======\n${f.block.replace}>>>>>>> REPLACE\n`);
    let hint: string;
    if (f.reason === 'malformed') {
      hint = 'Write each block as: the file path, <<<<<<< SEARCH, the lines to find, =======, the lines to put instead, >>>>>>> REPLACE.';
    } else if (f.reason === 'noFile') {
      hint = 'Put the path of the file (as given in the context) on the line before <<<<<<< SEARCH.';
    } else if (f.reason === 'ambiguous') {
      hint = `Its SEARCH text matches ${f.candidates?.length ?? 'several'} places, so it was not applied at a guess; the person may pick one. If you resend it, include enough surrounding lines to match exactly one place.`;
    } else if (f.closest) {
      hint = `Did you mean these lines of ${f.path ?? 'the file'} (lines ${f.closest.startLine}–${f.closest.endLine})?\n\`\`\`\n${cut(f.closest.text)}\`\`\``;
    } else hint = `No lines of ${f.path ?? 'the file'} are like its SEARCH text.`;
    parts.push(`${head}\n${block}\n${hint}`);
  }
  parts.push(
    'The SEARCH section must match existing lines of the file exactly, including whitespace, comments and indentation. ' +
      (applied > 0 ? `The other ${applied} block${applied === 1 ? '' : 's'} applied; do not resend them. ` : '') +
      'Resend only the failed blocks, fixed.',
  );
  let text = parts.join('\n\n');
  if (text.length > MAX_REPORT_CHARS) text = text.slice(0, MAX_REPORT_CHARS) + '\n[… report cut]';
  return text;
}
