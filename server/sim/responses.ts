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
