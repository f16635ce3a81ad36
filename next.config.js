/**
 * y-monaco imports `monaco-editor/esm/vs/editor/editor.api.js`, a path monaco-editor 0.56+ no
 * longer exports; point it at the public entry (see STACK-NOTES).
 * `*.bundle.ts` files are bundled by esbuild into one script exported as a string: the test
 * sandbox starts them from blob: URLs in an opaque-origin iframe (see lib/sandbox/CONTEXT.md).
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: {
    resolveAlias: {
      'monaco-editor/esm/vs/editor/editor.api.js': 'monaco-editor/editor/editor.api',
    },
    rules: {
      '*.bundle.ts': {
        loaders: ['./scripts/sandbox-bundle-loader.cjs'],
        as: '*.js',
      },
    },
  },
};

export default nextConfig;
