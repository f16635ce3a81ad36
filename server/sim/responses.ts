import { tokenize } from './tokens';

/**
 * The simulator's default answer when no rule matches: a deterministic block of TypeScript of
 * roughly `tokens` tokens that mentions the prompt, so the stream looks like code in the editor.
 */
export function generatedResponse(prompt: string, tokens = 1000): string {
  const topic = prompt.replace(/\s+/g, ' ').slice(0, 80).replace(/\*\//g, '* /');
  const parts: string[] = [`// Flint simulator: ${topic}\n`];
  let n = tokenize(parts[0]).length;
  for (let i = 1; n < tokens; i++) {
    const block =
      `export function step${i}(values: number[]): number {\n` +
      `  let total = 0;\n` +
      `  for (const value of values) {\n` +
      `    total += value * ${i};\n` +
      `  }\n` +
      `  return total;\n` +
      `}\n\n`;
    parts.push(block);
    n += tokenize(block).length;
  }
  return parts.join('');
}

/**
 * The simulator's default answer to a Flint edit request (no rule matched): a short sentence and
 * one SEARCH/REPLACE block against the open file (`<file path="…" open>` in the request) that
 * puts a comment naming the request above the line at the cursor — the nearest line that occurs
 * once in the file, so the block always places. `null` when the request carries no open file.
 */
export function editResponse(userText: string): string | null {
  const file = /<file path="([^"]+)" open>\n([\s\S]*?)<\/file>/.exec(userText);
  if (!file) return null;
  const [, path, body] = file;
  const request = (/Request: ([^\n]*)\s*$/.exec(userText)?.[1] ?? 'the change').slice(0, 80).replace(/\*\//g, '* /');
  const unmarked = body.replace(/<\|\/?selection\|>/g, '');
  const cursorLine = unmarked.slice(0, Math.max(0, unmarked.indexOf('<|cursor|>'))).split('\n').length - 1;
  const lines = unmarked.replace('<|cursor|>', '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const count = new Map<string, number>();
  for (const l of lines) count.set(l, (count.get(l) ?? 0) + 1);
  const usable = (i: number) => i >= 0 && i < lines.length && /\S/.test(lines[i]) && count.get(lines[i]) === 1;
  let at = -1;
  for (let d = 0; d < lines.length && at < 0; d++) {
    if (usable(cursorLine - d)) at = cursorLine - d;
    else if (usable(cursorLine + d)) at = cursorLine + d;
  }
  if (at < 0) {
    return `I'll create a note for this request.\n\nNOTES.md\n<<<<<<< SEARCH\n=======\n# ${request}\n>>>>>>> REPLACE\n`;
  }
  const line = lines[at];
  const indent = /^\s*/.exec(line)![0];
  return [
    `I'll add a note about "${request}" above \`${line.trim().slice(0, 60)}\`.`,
    '',
    path,
    '<<<<<<< SEARCH',
    line,
    '=======',
    `${indent}// Flint: ${request}`,
    line,
    '>>>>>>> REPLACE',
    '',
  ].join('\n');
}
