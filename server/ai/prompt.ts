import { encode } from 'gpt-tokenizer';
import type { Selection } from '@/lib/protocol';
import type { TurnRecord } from '@/lib/collab/thread';
import type { ChatMessage } from '../inference/types';

/**
 * Builds the upstream messages for one turn: the system prompt (SEARCH/REPLACE edits, see
 * lib/edits/CONTEXT.md), recent turns of the session's thread, the files in context, and the
 * request — within a token budget counted with a real BPE tokenizer (gpt-tokenizer, o200k_base).
 *
 * Priority (highest first), which is also the truncation order read backwards:
 *   1. the system prompt and the request (always sent);
 *   2. the open file with the cursor / selection markers — cut to a window of lines around the
 *      cursor only when it does not fit on its own;
 *   3. the @-mentioned files, in the order mentioned;
 *   4. the other files open in the editor;
 *   5. recent turns, newest first (at most `MAX_TURNS`), contiguous: once one does not fit, older
 *      ones are left out too.
 * So when the budget is short, the oldest turns go first, then other open files, then mentioned
 * files (last mentioned first), and last of all the open file is cut around the cursor.
 */

export const SYSTEM_PROMPT = `You are Flint, a coding assistant inside a live code editor. Make the smallest change that does what the person asks.

Answer with one short sentence saying what you will change, then SEARCH/REPLACE blocks, nothing else. Each block:

path/of/file.ts
<<<<<<< SEARCH
exact lines from the file to replace
=======
the lines that replace them
>>>>>>> REPLACE

Rules:
- Put the file's path on the line before each block.
- SEARCH must copy whole lines from the file exactly, including indentation and comments, with just enough lines to be unique in that file. Keep blocks small; use several blocks for separate changes, in file order.
- To create a file, leave SEARCH empty and put the whole new file in REPLACE. Never rewrite an existing file whole.
- <|cursor|>, <|selection|> and <|/selection|> mark where the person is; they are not part of the file. Never copy them into SEARCH or REPLACE.
- Do not wrap blocks in Markdown fences.`;

/** Recent turns considered for the context. */
export const MAX_TURNS = 10;

/** Counted texts kept (files, earlier answers, the system prompt): each prompt re-reads them unchanged. */
const TOKEN_CACHE_ENTRIES = 2048;
/** Shorter texts are counted each time (cheaper than keeping them). */
const TOKEN_CACHE_MIN_CHARS = 256;
const tokenCache = new Map<string, number>();
const NO_SPECIAL = new Set<string>();

/**
 * Tokens of `text` under o200k_base; text that looks like special tokens counts as plain text.
 * Counts of longer texts are remembered (by content, least recently used dropped first), so a
 * prompt in a long session does not re-tokenize every earlier turn and file on its way upstream.
 */
export function countTokens(text: string): number {
  if (text.length < TOKEN_CACHE_MIN_CHARS) return encode(text, { disallowedSpecial: NO_SPECIAL }).length;
  const known = tokenCache.get(text);
  if (known !== undefined) {
    tokenCache.delete(text);
    tokenCache.set(text, known);
    return known;
  }
  const n = encode(text, { disallowedSpecial: NO_SPECIAL }).length;
  tokenCache.set(text, n);
  if (tokenCache.size > TOKEN_CACHE_ENTRIES) tokenCache.delete(tokenCache.keys().next().value!);
  return n;
}

/** How many counts are remembered (tests). */
export function cachedTokenCounts(): number {
  return tokenCache.size;
}

export interface ContextInput {
  prompt: string;
  /** The open file, and the person's selection (or cursor) in it as offsets. */
  path: string;
  selection?: Selection;
  mentions?: string[];
  openFiles?: string[];
  /** Earlier turns of the thread, oldest first. */
  turns?: TurnRecord[];
  /** Reads a file of the session (`undefined`: no such file). */
  read(path: string): string | undefined;
  /** Tokens the prompt may use: the tier's context window minus what is kept for the answer. */
  budgetTokens: number;
}

export interface BuiltContext {
  messages: ChatMessage[];
  /** Prompt tokens as counted here (the tier's own count may differ by a few per message). */
  tokens: number;
  files: string[];
  turns: number;
  /** What did not fit, e.g. `turns: 3 oldest`, `src/big.ts`, `src/cart.ts: lines 40–120 of 900`. */
  truncated: string[];
}

/** Per-message framing the tokenizer does not see (role, separators). */
const MESSAGE_OVERHEAD = 4;

export function buildContext(input: ContextInput): BuiltContext {
  const truncated: string[] = [];
  const request = `Request: ${input.prompt}`;
  let used = countTokens(SYSTEM_PROMPT) + countTokens(request) + 2 * MESSAGE_OVERHEAD;
  const fits = (tokens: number) => used + tokens <= input.budgetTokens;

  // 2. The open file, whole or around the cursor.
  const blocks: Array<{ path: string; text: string }> = [];
  const open = input.read(input.path);
  if (open !== undefined) {
    const whole = fileBlock(input.path, markSelection(open, input.selection), true);
    const wholeTokens = countTokens(whole);
    if (fits(wholeTokens)) {
      blocks.push({ path: input.path, text: whole });
      used += wholeTokens;
    } else {
      const cut = windowAroundCursor(input.path, open, input.selection, input.budgetTokens - used);
      if (cut) {
        blocks.push({ path: input.path, text: cut.text });
        used += cut.tokens;
        truncated.push(`${input.path}: ${cut.label}`);
      } else {
        truncated.push(input.path);
      }
    }
  }

  // 3, 4. Mentioned files, then other open files.
  const seen = new Set([input.path]);
  const extra = [...(input.mentions ?? []), ...(input.openFiles ?? [])].filter((p) => !seen.has(p) && seen.add(p));
  const others: Array<{ path: string; text: string }> = [];
  for (const path of extra) {
    const text = input.read(path);
    if (text === undefined) continue;
    const block = fileBlock(path, text, false);
    const tokens = countTokens(block);
    if (!fits(tokens)) {
      truncated.push(path);
      continue;
    }
    others.push({ path, text: block });
    used += tokens;
  }

  // 5. Recent turns, newest first, contiguous.
  const history: ChatMessage[][] = [];
  const recent = (input.turns ?? []).filter((t) => t.revertedBy === null || t.revertedBy === undefined).slice(-MAX_TURNS);
  let kept = 0;
  for (let i = recent.length - 1; i >= 0; i--) {
    const pair = turnMessages(recent[i]);
    const tokens = pair.reduce((n, m) => n + countTokens(m.content) + MESSAGE_OVERHEAD, 0);
    if (!fits(tokens)) break;
    history.unshift(pair);
    used += tokens;
    kept++;
  }
  if (kept < recent.length) truncated.push(`turns: ${recent.length - kept} oldest`);

  // The open file goes last, right before the request.
  const files = [...others, ...blocks];
  const user = [...files.map((f) => f.text), request].join('\n\n');
  return {
    messages: [{ role: 'system', content: SYSTEM_PROMPT }, ...history.flat(), { role: 'user', content: user }],
    tokens: used,
    files: files.map((f) => f.path),
    turns: kept,
    truncated,
  };
}

function fileBlock(path: string, text: string, open: boolean): string {
  return `<file path="${path}"${open ? ' open' : ''}>\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}</file>`;
}

function markSelection(content: string, selection?: Selection): string {
  const at = Math.min(selection?.start ?? content.length, content.length);
  const end = Math.min(selection?.end ?? at, content.length);
  const sel = end > at ? `<|selection|>${content.slice(at, end)}<|/selection|>` : '';
  return `${content.slice(0, at)}<|cursor|>${sel}${content.slice(end)}`;
}

/** The largest window of whole lines around the cursor that fits `budget` tokens (halving). */
function windowAroundCursor(path: string, content: string, selection: Selection | undefined, budget: number) {
  const lines = content.split('\n');
  const cursor = Math.min(selection?.start ?? content.length, content.length);
  const cursorLine = content.slice(0, cursor).split('\n').length - 1;
  for (let half = Math.ceil(lines.length / 2); half >= 1; half = Math.floor(half / 2)) {
    const from = Math.max(0, cursorLine - half);
    const to = Math.min(lines.length, cursorLine + half + 1);
    const offset = lines.slice(0, from).join('\n').length + (from > 0 ? 1 : 0);
    const slice = lines.slice(from, to).join('\n');
    const local = selection ? { start: Math.max(0, selection.start - offset), end: Math.min(slice.length, Math.max(0, selection.end - offset)) } : undefined;
    const label = `lines ${from + 1}–${to} of ${lines.length}`;
    const text = fileBlock(path, `(${label} shown)\n${markSelection(slice, local && local.start <= local.end ? local : undefined)}`, true);
    const tokens = countTokens(text);
    if (tokens <= budget) return { text, tokens, label };
  }
  return null;
}

/** A past turn as a user / assistant pair, with what happened to it. */
function turnMessages(turn: TurnRecord): ChatMessage[] {
  const notes: string[] = [];
  if (turn.status === 'interrupted') notes.push(turn.dropped ? 'interrupted by the person; the unfinished last block was dropped' : 'interrupted by the person');
  if (turn.status === 'error') notes.push(`stopped by an error${turn.error ? `: ${turn.error}` : ''}`);
  const reviewed = turn.hunks
    .filter((h) => h.status !== 'pending')
    // An ambiguous SEARCH the person placed by hand: the model is told where, so it asks again knowing.
    .map((h) => `block ${h.index + 1} ${h.status}${h.pick ? ` (its SEARCH matched ${h.pick.of} places; the person chose match ${h.pick.index + 1})` : ''}`);
  const failed = turn.hunks.filter((h) => h.status === 'pending' && !h.matchedAtProposal).map((h) => `block ${h.index + 1} did not apply`);
  if (failed.length) notes.push(failed.join(', '));
  if (reviewed.length) notes.push(reviewed.join(', '));
  const answer = (turn.response || '(no answer)') + (notes.length ? `\n\n[${notes.join('; ')}]` : '');
  return [
    { role: 'user', content: `Request: ${turn.prompt}` },
    { role: 'assistant', content: answer },
  ];
}
