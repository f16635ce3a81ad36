/**
 * y-monaco imports `monaco-editor/esm/vs/editor/editor.api.js`, a path monaco-editor 0.56+ no
 * longer exports; point it at the public entry (see STACK-NOTES).
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: {
    resolveAlias: {
      'monaco-editor/esm/vs/editor/editor.api.js': 'monaco-editor/editor/editor.api',
    },
  },
};

export default nextConfig;
