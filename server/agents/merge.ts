import { diffArrays } from 'diff';
import { placeHunk } from '@/lib/collab/thread';

/**
 * Taking an agent's result: a three-way merge of one file — the text the agent started from
 * (`base`), the person's text now (`current`) and the agent's (`theirs`) — as review hunks
 * against `current`.
 *
 * Each change the agent made (a run of base lines replaced, diff base → theirs) becomes one
 * hunk. When the person changed none of those lines meanwhile (diff base → current does not
 * touch them), the hunk's SEARCH is those lines as they still are in `current`, widened by
 * unchanged context lines until it is unique there, so it places and can be accepted. When the
 * person changed the same lines (the two changes overlap, or both insert at the same place) it
 * is a conflict: its SEARCH is the agent's base lines, which are no longer in `current`, so the
 * review shows it as a conflict (never applied over the person's lines) with the person's
 * closest lines beside it.
 *
 * Invariants: every hunk's SEARCH/REPLACE are whole lines; a non-conflict hunk places uniquely
 * in `current`; hunks come in file order; nothing of `current` outside the agent's changes is
 * touched by accepting them all.
 */
export interface MergeHunk {
  search: string;
  replace: string;
  conflict: boolean;
}

interface Chunk {
  /** The base lines [start, end) replaced by `lines`. */
  start: number;
  end: number;
  lines: string[];
}

/** Lines of `text`, each with its `\n` (the last may lack one). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function chunks(a: string[], b: string[]): Chunk[] {
  const out: Chunk[] = [];
  let i = 0;
  let current: Chunk | null = null;
  for (const part of diffArrays(a, b)) {
    const n = part.count ?? part.value.length;
    if (!part.added && !part.removed) {
      if (current) out.push(current);
      current = null;
      i += n;
      continue;
    }
    current ??= { start: i, end: i, lines: [] };
    if (part.removed) {
      i += n;
      current.end = i;
    } else current.lines.push(...part.value);
  }
  if (current) out.push(current);
  return out;
}

function overlaps(a: Chunk, u: Chunk): boolean {
  if (Math.max(a.start, u.start) < Math.min(a.end, u.end)) return true;
  // Both insert at the same place, or one inserts strictly inside what the other replaced.
  if (a.start === a.end && u.start === u.end) return a.start === u.start;
  if (a.start === a.end) return u.start < a.start && a.start < u.end;
  if (u.start === u.end) return a.start < u.start && u.start < a.end;
  return false;
}

function occurrences(haystack: string, needle: string): number {
  if (!needle) return 0;
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    if (at === 0 || haystack[at - 1] === '\n') n++;
  }
  return n;
}

const MAX_CONTEXT = 8;

/** The review hunks that take the agent's changes of one file into `current` (see above). `base`/`theirs` null: no such file. */
export function mergeHunks(base: string | null, current: string | null, theirs: string | null): MergeHunk[] {
  if (theirs === null) return []; // deleting a file is not proposed as a hunk
  if (base === null || base === '') {
    // The agent created the file: a whole-file hunk, a conflict when the person created it too.
    const conflict = current !== null && current.trim() !== '' && current !== theirs;
    return current === theirs ? [] : [{ search: conflict ? theirs : '', replace: theirs, conflict }];
  }
  const cur = current ?? '';
  const b = splitLines(withFinalNewline(base));
  const t = splitLines(withFinalNewline(theirs));
  const mine = chunks(b, splitLines(withFinalNewline(cur)));
  const out: MergeHunk[] = [];
  for (const c of chunks(b, t)) {
    const conflict = mine.some((u) => overlaps(c, u));
    const hunk = conflict ? null : placeable(b, c, mine, cur);
    if (hunk) out.push(hunk);
    else {
      // SEARCH: what the agent replaced (with a line of context for a pure insertion), as in base.
      const from = c.start === c.end ? Math.max(0, c.start - 1) : c.start;
      const search = b.slice(from, c.end).join('');
      const replace = b.slice(from, c.start).join('') + c.lines.join('');
      out.push({ search, replace, conflict: true });
    }
  }
  return out;
}

/** The chunk widened by context lines the person did not change until it is unique in `current`; null when it cannot be. */
function placeable(b: string[], c: Chunk, mine: Chunk[], current: string): MergeHunk | null {
  const untouched = (i: number) => !mine.some((u) => u.start <= i && i < u.end);
  for (let k = 0; k <= MAX_CONTEXT; k++) {
    const from = Math.max(0, c.start - k);
    const to = Math.min(b.length, c.end + k);
    if (c.start === c.end && from === c.start && to === c.end) continue; // an insertion needs a line to anchor on
    for (let i = from; i < to; i++) if (!untouched(i) && (i < c.start || i >= c.end)) return null;
    const search = b.slice(from, to).join('');
    const replace = b.slice(from, c.start).join('') + c.lines.join('') + b.slice(c.end, to).join('');
    const hunk = { search, replace, conflict: false };
    if (occurrences(withFinalNewline(current), search) === 1 && placeHunk(current, hunk).ok) return hunk;
    if (from === 0 && to === b.length) break;
  }
  return null;
}

function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Lines added plus removed between two texts. */
export function diffStats(a: string, b: string): { added: number; removed: number; lines: number } {
  let added = 0;
  let removed = 0;
  for (const part of diffArrays(splitLines(a), splitLines(b))) {
    const n = part.count ?? part.value.length;
    if (part.added) added += n;
    else if (part.removed) removed += n;
  }
  return { added, removed, lines: added + removed };
}
