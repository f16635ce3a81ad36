/**
 * Scripted model answers for the example project, used by the simulator rules in tests and
 * benchmarks: realistic SEARCH/REPLACE responses (lib/edits/CONTEXT.md) with known outcomes.
 */

export interface ScriptedHunk {
  path: string;
  search: string;
  replace: string;
}

/** Three separate changes to src/cart.ts: a discount field, remove() reports, total() applies it. */
export const CART_THREE_HUNKS: ScriptedHunk[] = [
  {
    path: 'src/cart.ts',
    search: '  private items: Item[] = [];\n',
    replace: '  private items: Item[] = [];\n  private discount = 0;\n',
  },
  {
    path: 'src/cart.ts',
    search: '  remove(sku: string): void {\n    this.items = this.items.filter((i) => i.sku !== sku);\n  }\n',
    replace:
      '  remove(sku: string): boolean {\n    const before = this.items.length;\n    this.items = this.items.filter((i) => i.sku !== sku);\n    return this.items.length < before;\n  }\n',
  },
  {
    path: 'src/cart.ts',
    search: '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n',
    replace: '    const gross = this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n    return gross * (1 - this.discount);\n',
  },
];

/** The model's answer proposing `hunks`, as it would stream: a sentence, then one block each. */
export function scriptedResponse(hunks: ScriptedHunk[], prose = 'I will make these changes.'): string {
  return `${prose}\n\n${hunks.map((h) => `${h.path}\n<<<<<<< SEARCH\n${h.search}=======\n${h.replace}>>>>>>> REPLACE\n`).join('')}`;
}

/** `text` with the hunks whose flag is true applied, in order. */
export function withHunks(text: string, hunks: ScriptedHunk[], apply: boolean[]): string {
  return hunks.reduce((t, h, i) => {
    if (!apply[i]) return t;
    if (!t.includes(h.search)) throw new Error(`hunk ${i} does not apply`);
    return t.replace(h.search, h.replace);
  }, text);
}
