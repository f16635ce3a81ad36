/**
 * Turbopack loader for `*.bundle.ts` files (configured in next.config.js): bundles the file and
 * everything it imports with esbuild into one self-contained browser script and exports that
 * script's text as a string. The sandbox needs code it can start from a blob: URL inside an
 * opaque-origin iframe (which cannot load Next's chunks), and this keeps that code in
 * TypeScript, type-checked with the rest, and hashed into Next's immutable chunks.
 */
const esbuild = require('esbuild');

module.exports = function sandboxBundleLoader() {
  const callback = this.async();
  // A `*.dev.bundle.ts` keeps development-only code (react-refresh's runtime, for the live preview).
  const dev = process.env.NODE_ENV !== 'production' || this.resourcePath.endsWith('.dev.bundle.ts');
  esbuild
    .build({
      entryPoints: [this.resourcePath],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      minify: !dev,
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
      // pyodide's loader reaches for Node modules only when it runs under Node.
      external: ['node:*', 'fs', 'fs/promises', 'path', 'url', 'crypto', 'child_process', 'vm', 'ws'],
    })
    .then((result) => {
      for (const input of Object.keys(result.metafile.inputs)) {
        if (typeof this.addDependency === 'function' && !input.includes('node_modules')) this.addDependency(require('node:path').resolve(input));
      }
      callback(null, `export default ${JSON.stringify(result.outputFiles[0].text)};\n`);
    })
    .catch((err) => callback(err));
};
