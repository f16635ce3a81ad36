/**
 * The sandbox's self-contained scripts. Each `*.bundle.ts` module is replaced at build time by
 * its esbuild bundle as a string (scripts/sandbox-bundle-loader.cjs, wired in next.config.js),
 * so importing it yields source text, not the module's exports.
 */
type Bundled = { default: string };

export async function jsRuntimeSource(): Promise<string> {
  return ((await import('./worker/js-runtime.bundle')) as unknown as Bundled).default;
}

export async function pyRuntimeSource(): Promise<string> {
  return ((await import('./worker/py-runtime.bundle')) as unknown as Bundled).default;
}
