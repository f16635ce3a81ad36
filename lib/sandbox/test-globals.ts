/**
 * Types of the sandbox's test globals, for the editor's TypeScript service, so test files using
 * `.each`, `.only`, hooks or `expect.objectContaining` are not underlined. Declarations merge
 * with the shorter ones lib/editor/monaco-setup.ts registers (same signatures, plus namespaces).
 * Keep in sync with lib/sandbox/harness.ts (`TestApi`).
 */
export const TEST_GLOBALS_DTS = `
type FlintTestFn = (() => unknown) | ((done: (error?: unknown) => void) => void);
type FlintEachArgs<T> = T extends readonly unknown[] ? T : [T];
declare function describe(name: string, fn: () => void): void;
declare namespace describe {
  function skip(name: string, fn: () => void): void;
  function only(name: string, fn: () => void): void;
  function each<T>(table: readonly T[]): (name: string, fn: (...args: FlintEachArgs<T>) => void) => void;
}
declare function it(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
declare namespace it {
  function skip(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
  function only(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
  function todo(name: string): void;
  function each<T>(table: readonly T[]): (name: string, fn: (...args: FlintEachArgs<T>) => unknown, timeoutMs?: number) => void;
}
declare function test(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
declare namespace test {
  function skip(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
  function only(name: string, fn?: FlintTestFn, timeoutMs?: number): void;
  function todo(name: string): void;
  function each<T>(table: readonly T[]): (name: string, fn: (...args: FlintEachArgs<T>) => unknown, timeoutMs?: number) => void;
}
declare function beforeAll(fn: FlintTestFn): void;
declare function afterAll(fn: FlintTestFn): void;
declare function beforeEach(fn: FlintTestFn): void;
declare function afterEach(fn: FlintTestFn): void;
declare function expect(actual: unknown, message?: string): any;
declare namespace expect {
  function any(constructor: unknown): any;
  function anything(): any;
  function arrayContaining(items: readonly unknown[]): any;
  function objectContaining(shape: object): any;
  function stringContaining(text: string): any;
  function stringMatching(pattern: string | RegExp): any;
  function extend(matchers: Record<string, (...args: any[]) => { pass: boolean; message: () => string }>): void;
  function assertions(count: number): void;
  function hasAssertions(): void;
  const not: any;
}
interface FlintMock<A extends any[] = any[], R = any> {
  (...args: A): R;
  mock: { calls: A[]; results: Array<{ type: 'return' | 'throw'; value: any }>; lastCall?: A };
  mockReturnValue(value: R): this;
  mockReturnValueOnce(value: R): this;
  mockResolvedValue(value: Awaited<R>): this;
  mockRejectedValue(error: unknown): this;
  mockImplementation(fn: (...args: A) => R): this;
  mockImplementationOnce(fn: (...args: A) => R): this;
  mockClear(): this;
  mockReset(): this;
  mockRestore(): void;
}
interface FlintMocks {
  fn<A extends any[] = any[], R = any>(implementation?: (...args: A) => R): FlintMock<A, R>;
  spyOn<T extends object, K extends keyof T>(object: T, method: K): FlintMock;
  isMockFunction(fn: unknown): boolean;
  clearAllMocks(): void;
  resetAllMocks(): void;
  restoreAllMocks(): void;
}
/** Mock functions (@vitest/spy), for toHaveBeenCalled and friends. */
declare const vi: FlintMocks;
declare const jest: FlintMocks;
`;
