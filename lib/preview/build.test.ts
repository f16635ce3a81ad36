import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import { PreviewBuilder, componentNames, findEntry, hookSignature } from './build';
import { PreviewStackMapper } from './stack';
import { withProposal } from './proposal';
import { MODULE_URL } from './protocol';
import type { PackageSources } from '@/lib/sandbox/packages';
import type { HunkView } from '@/lib/collab/thread';

const files = (o: Record<string, string>) => new Map(Object.entries(o));

const REACT_ESM = 'export const useState = (v) => [v, () => {}]; export default { useState };';
const packages: PackageSources = {
  urls: { react: '/_flint/pkg/react@19/' },
  errors: {},
  load: async (url) => {
    if (url === '/_flint/pkg/react@19/') return REACT_ESM;
    if (url === '/_flint/pkg/react@19/jsx-runtime') return 'export const jsx = () => null; export const jsxs = jsx; export const Fragment = "f";';
    throw new Error(`no ${url}`);
  },
};

const APP = {
  'index.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
  'src/main.tsx': "import './style.css';\nimport logo from './logo.svg';\nimport { App } from './App';\nconsole.log(App, logo);\n",
  'src/App.tsx': "import { useState } from 'react';\nexport function App() {\n  const [n, setN] = useState(0);\n  return <button onClick={() => setN(n + 1)}>{n}</button>;\n}\n",
  'src/style.css': 'button { color: red }',
  'src/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
};

describe('preview build', () => {
  it('finds the entry from index.html and keeps its body without scripts', () => {
    const e = findEntry(files(APP));
    assert.equal(e?.entry, 'src/main.tsx');
    assert.equal(e?.body, '<div id="root"></div>');
    assert.equal(findEntry(files({ 'src/index.tsx': '' }))?.entry, 'src/index.tsx');
    assert.equal(findEntry(files({ 'a.ts': '' })), null);
  });

  it('transforms each reachable file into a module, packages into the vendor script', async () => {
    const r = await new PreviewBuilder(esbuild).build(files({ ...APP, 'src/unused.ts': 'syntax error here(' }), packages);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(r.modules.map((m) => m.path).sort(), ['src/App.tsx', 'src/logo.svg', 'src/main.tsx', 'src/style.css']);
    const main = r.modules.find((m) => m.path === 'src/main.tsx')!;
    assert.deepEqual(main.deps, { './style.css': 'src/style.css', './logo.svg': 'src/logo.svg', './App': 'src/App.tsx' });
    const app = r.modules.find((m) => m.path === 'src/App.tsx')!;
    assert.equal(app.deps.react, 'pkg:react');
    assert.equal(app.deps['react/jsx-runtime'], 'pkg:react/jsx-runtime');
    assert.match(app.code, /\$RefreshReg\$\(App, "App", "useState"\)/);
    assert.match(app.code, /^__flintDefine\("src\/App\.tsx", function/);
    assert.ok(r.modules.find((m) => m.path === 'src/style.css')!.css);
    assert.match(r.modules.find((m) => m.path === 'src/logo.svg')!.code, /data:image\/svg\+xml;base64,/);
    assert.match(r.vendor, /__flintPkgs/);
    assert.match(r.vendor, /useState/);
  });

  it('re-transforms only the files whose text changed', async () => {
    let calls = 0;
    const counting = { build: esbuild.build, transform: ((...a: Parameters<typeof esbuild.transform>) => (calls++, esbuild.transform(...a))) as typeof esbuild.transform };
    const b = new PreviewBuilder(counting);
    await b.build(files(APP), packages);
    const first = calls;
    assert.equal(first, 2);
    const r = await b.build(files({ ...APP, 'src/App.tsx': APP['src/App.tsx'].replace('{n}', 'Count {n}') }), packages);
    assert.ok(r.ok);
    assert.equal(calls, first + 1);
  });

  it('names file and line of a syntax error and of a missing import', async () => {
    const bad = await new PreviewBuilder(esbuild).build(files({ ...APP, 'src/App.tsx': 'export function App() {\n  return <div>;\n}\n' }), packages);
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.errors[0].location?.path === 'src/App.tsx' && bad.errors[0].location.line >= 2, JSON.stringify(!bad.ok && bad.errors));
    assert.ok(!bad.ok && bad.errors[0].message.startsWith('src/App.tsx:'));
    const missing = await new PreviewBuilder(esbuild).build(files({ ...APP, 'src/main.tsx': "\nimport { X } from './nope';\nX();\n" }), packages);
    assert.ok(!missing.ok && missing.errors[0].message === 'src/main.tsx:2: Cannot find "./nope": there is no such file in this session.');
  });

  it('names a package that is not a dependency', async () => {
    const r = await new PreviewBuilder(esbuild).build(files({ ...APP, 'src/main.tsx': "import _ from 'lodash';\n_();\n" }), packages);
    assert.ok(!r.ok && r.errors.some((e) => e.message.includes('"lodash" is not in this session\'s package.json')), JSON.stringify(r));
  });

  it('maps a stack frame of a module to its source line', async () => {
    const src = "export function App() {\n  const x = 1;\n  throw new Error('boom' + x);\n}\n";
    const r = await new PreviewBuilder(esbuild).build(files({ 'src/main.tsx': "import { App } from './App';\nApp();\n", 'src/App.tsx': src }));
    assert.ok(r.ok);
    const app = r.modules.find((m) => m.path === 'src/App.tsx')!;
    const lines = app.code.split('\n');
    const line = lines.findIndex((l) => l.includes('throw new Error')) + 1;
    const column = lines[line - 1].indexOf('throw') + 1;
    const mapper = new PreviewStackMapper(new Map(r.modules.map((m) => [m.path, m.map])));
    const frames = mapper.frames(`Error: boom1\n    at App (${MODULE_URL}src/App.tsx:${line}:${column})\n    at blob:null/x:1:1`);
    assert.deepEqual(frames, [{ path: 'src/App.tsx', line: 3, column: 2, fn: 'App' }]);
  });

  it('finds components and hook signatures', () => {
    assert.deepEqual(componentNames('export default function Page() {}\nconst Card = memo(() => null);\nexport const helper = 1;\nfunction lower() {}\nexport const Btn: FC = () => null;'), ['Page', 'Card', 'Btn']);
    assert.equal(hookSignature('const [a] = useState(0); useEffect(() => {}); React.useMemo(f)'), 'useState,useEffect,useMemo');
  });
});

describe('proposal preview', () => {
  it('applies the pending hunks that place to a copy, leaving the files alone', () => {
    const live = files({ 'a.ts': 'one two three' });
    const hunk = (id: string, start: number, end: number, text: string, view: HunkView['view'] = 'pending') =>
      ({ id, path: 'a.ts', view, placement: { ok: true, start, end, text, fuzzy: false, create: false, match: 'exact' } }) as unknown as HunkView;
    const out = withProposal(live, [hunk('1', 0, 3, 'ONE'), hunk('2', 8, 13, 'THREE'), hunk('3', 4, 7, 'x', 'accepted')]);
    assert.equal(out.get('a.ts'), 'ONE two THREE');
    assert.equal(live.get('a.ts'), 'one two three');
  });
});
