import type { a } from './a';
export const b = (): number => 1 as ReturnType<typeof a>;
