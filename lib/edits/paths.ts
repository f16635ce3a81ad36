/**
 * Which workspace file a path written by the model means. Models write `./src/a.ts`, `/src/a.ts`,
 * `src\a.ts`, or only `a.ts` when they saw the file's name in the prompt; each is resolved only
 * when one file fits, never at a guess.
 *
 * Example: `resolvePath('cart.ts', ['src/cart.ts', 'README.md'])` → `'src/cart.ts'`.
 */
export function resolvePath(written: string, workspace: Iterable<string>): string | null {
  const path = written.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (path === '') return null;
  let suffix: string | null = null;
  let count = 0;
  for (const file of workspace) {
    if (file === path) return file;
    // `cart.ts` and `ai/cart.ts` both mean `src/ai/cart.ts`, if no other file ends that way.
    if (file.endsWith('/' + path)) {
      suffix = file;
      count++;
    }
  }
  return count === 1 ? suffix : null;
}
