import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TurnRecord } from '@/lib/collab/thread';
import { buildContext, cachedTokenCounts, countTokens, SYSTEM_PROMPT } from './prompt';

const files: Record<string, string> = {
  'src/open.ts': Array.from({ length: 400 }, (_, i) => `export const line${i} = ${i};\n`).join(''),
  'src/mentioned.ts': 'export const mentioned = 1;\n'.repeat(40),
  'src/other.ts': 'export const other = 2;\n'.repeat(40),
};
const read = (p: string) => files[p];

function turn(i: number): TurnRecord {
  return {
    id: `t${i}`,
    prompt: `request ${i}`,
    mode: 'instant',
    path: 'src/open.ts',
    autoApply: false,
    status: 'done',
    response: `answer ${i} `.repeat(30),
    error: null,
    dropped: null,
    createdAt: i,
    checkpoint: {},
    hunks: [],
    revertedBy: null,
  };
}

describe('context budget', () => {
  it('counts tokens with a BPE tokenizer, not characters', () => {
    assert.equal(countTokens('hello world'), 2);
    assert.ok(countTokens('<|endoftext|>') > 1, 'special-token text is counted as plain text');
  });

  it('sends everything when it fits: system, turns oldest first, mentioned, open files, then the open file and the request', () => {
    const ctx = buildContext({
      prompt: 'rename',
      path: 'src/open.ts',
      selection: { start: 13, end: 13 },
      mentions: ['src/mentioned.ts'],
      openFiles: ['src/other.ts', 'src/open.ts'],
      turns: [turn(1), turn(2)],
      read,
      budgetTokens: 100_000,
    });
    assert.equal(ctx.messages[0].content, SYSTEM_PROMPT);
    assert.deepEqual(ctx.messages.slice(1, 5).map((m) => [m.role, m.content.slice(0, 11)]), [
      ['user', 'Request: re'],
      ['assistant', 'answer 1 an'],
      ['user', 'Request: re'],
      ['assistant', 'answer 2 an'],
    ]);
    const user = ctx.messages.at(-1)!.content;
    assert.deepEqual(ctx.files, ['src/mentioned.ts', 'src/other.ts', 'src/open.ts']);
    assert.ok(user.indexOf('src/mentioned.ts') < user.indexOf('src/other.ts'));
    assert.ok(user.indexOf('<file path="src/open.ts" open>') < user.indexOf('Request: rename'));
    assert.ok(user.includes('export const <|cursor|>line0'), 'the cursor is marked at its offset');
    assert.ok(user.endsWith('Request: rename'));
    assert.deepEqual(ctx.truncated, []);
    assert.equal(ctx.turns, 2);
  });

  it('drops in the stated order: oldest turns, other open files, mentioned files, then cuts the open file around the cursor', () => {
    const base = { prompt: 'p', path: 'src/open.ts', mentions: ['src/mentioned.ts'], openFiles: ['src/other.ts'], turns: [turn(1), turn(2), turn(3)], read };
    const full = buildContext({ ...base, budgetTokens: 100_000 }).tokens;
    const perTurn = countTokens('Request: request 1') + countTokens(turn(1).response) + 8;

    const lessTurns = buildContext({ ...base, budgetTokens: full - perTurn });
    assert.equal(lessTurns.turns, 2);
    assert.deepEqual(lessTurns.truncated, ['turns: 1 oldest']);
    assert.ok(lessTurns.messages.some((m) => m.content.startsWith('answer 3')), 'the newest turn is kept');

    const noFiles = buildContext({ ...base, turns: [], budgetTokens: countTokens(files['src/open.ts']) + 300 });
    assert.deepEqual(noFiles.files, ['src/open.ts']);
    assert.deepEqual(noFiles.truncated, ['src/mentioned.ts', 'src/other.ts']);

    const cut = buildContext({ ...base, turns: [], selection: { start: files['src/open.ts'].indexOf('line200'), end: files['src/open.ts'].indexOf('line200') }, budgetTokens: 1500 });
    assert.ok(cut.tokens <= 1500);
    assert.match(cut.truncated[0], /^src\/open\.ts: lines \d+–\d+ of 401$/);
    const user = cut.messages.at(-1)!.content;
    assert.ok(user.includes('export const <|cursor|>line200'), 'the window keeps the cursor');
    assert.ok(!user.includes('line0 '), 'lines far from the cursor are cut');
  });

  it('never exceeds the budget it was given', () => {
    for (const budget of [900, 1500, 3000, 8000, 20_000]) {
      const ctx = buildContext({ prompt: 'p', path: 'src/open.ts', mentions: ['src/mentioned.ts'], openFiles: ['src/other.ts'], turns: [turn(1), turn(2)], read, budgetTokens: budget });
      const counted = ctx.messages.reduce((n, m) => n + countTokens(m.content) + 4, 0);
      assert.ok(counted <= budget, `${counted} ≤ ${budget}`);
      assert.equal(counted, ctx.tokens);
    }
  });

  it('tells the model how earlier turns ended and what was reviewed', () => {
    const t = { ...turn(1), status: 'interrupted' as const, dropped: { path: 'src/open.ts', chars: 12 }, hunks: [{ id: 't1:0', index: 0, path: 'src/open.ts', search: 'a', replace: 'b', status: 'rejected' as const, matchedAtProposal: true }] };
    const ctx = buildContext({ prompt: 'p', path: 'src/open.ts', turns: [t], read, budgetTokens: 100_000 });
    assert.match(ctx.messages[2].content, /\[interrupted by the person; the unfinished last block was dropped; block 1 rejected\]$/);
  });

  it('tells the model which blocks did not apply and where the person placed an ambiguous one', () => {
    const hunk = (index: number, extra: object) => ({ id: `t1:${index}`, index, path: 'src/open.ts', search: 'a', replace: 'b', status: 'pending' as const, matchedAtProposal: true, ...extra });
    const t = { ...turn(1), hunks: [hunk(0, { matchedAtProposal: false }), hunk(1, { status: 'accepted', matchedAtProposal: false, pick: { index: 1, of: 3 } })] };
    const ctx = buildContext({ prompt: 'p', path: 'src/open.ts', turns: [t], read, budgetTokens: 100_000 });
    assert.match(ctx.messages[2].content, /\[block 1 did not apply; block 2 accepted \(its SEARCH matched 3 places; the person chose match 2\)\]$/);
  });
});

describe('the budget follows a smaller tier window', () => {
  it('uses three quarters of a tier window smaller than the configured budget, else the configured budget', async () => {
    const { promptBudget } = await import('./ai-controller');
    const tier = (window?: number) => ({ name: 't', model: 'm', stream: async function* () {}, ...(window ? { contextTokens: () => window } : {}) });
    assert.equal(promptBudget(119_808, tier(4096)), 3072);
    assert.equal(promptBudget(119_808, tier(1_000_000)), 119_808);
    assert.equal(promptBudget(119_808, tier()), 119_808);
  });
});

describe('token counts', () => {
  it('a long text is counted once and remembered; the count is the same either way', () => {
    const text = `const unique${Date.now()} = 1;\n`.repeat(40);
    const before = cachedTokenCounts();
    const first = countTokens(text);
    assert.equal(cachedTokenCounts(), before + 1);
    assert.equal(countTokens(`${text}`), first);
    assert.equal(cachedTokenCounts(), before + 1, 'the second count came from the cache');
    assert.equal(countTokens('hello world'), 2);
    assert.equal(cachedTokenCounts(), before + 1, 'short texts are not kept');
  });
});
