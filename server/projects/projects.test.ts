import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { zipSync, strToU8 } from 'fflate';
import { listFiles, readFile } from '@/lib/collab/workspace-doc';
import { baseOf, binariesOf, projectMeta } from '@/lib/workspace/project-doc';
import type { ProjectCreated } from '@/lib/protocol';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { closeClients, helloClient, joinedClient, request, type TestClient } from '@/test/support/protocol-client';
import { startGitServer, type GitServer } from '@/test/support/git-http-server';

// Project imports over the real protocol: a Flint server on a random port, zips made with fflate,
// a real git server (git-http-backend) on 127.0.0.1.

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe, 0x00, 0x80]);

async function openSession(server: TestServer, sessionId: string): Promise<{ socket: TestClient; doc: Y.Doc }> {
  const { socket, state } = await joinedClient(server.url, sessionId);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return { socket, doc };
}

describe('project:import (zip)', () => {
  let server: TestServer;
  let client: TestClient;
  before(async () => {
    server = await startTestServer({ projects: { maxFiles: 20, maxBytes: 64 * 1024, maxFileBytes: 16 * 1024 } });
    client = await helloClient(server.url);
  });
  after(async () => {
    closeClients();
    await server.close();
  });

  it('brings in text, binaries byte for byte, Unicode and spaced names; skips .gitignore d and build folders', async () => {
    const zip = zipSync({
      'my-app/src/index.ts': strToU8('export const x = 1;\n'),
      'my-app/docs/café menu.md': strToU8('# Menü ✓\n'),
      'my-app/assets/logo.png': PNG,
      'my-app/.gitignore': strToU8('*.log\nsecret/\n'),
      'my-app/debug.log': strToU8('noise'),
      'my-app/secret/key.txt': strToU8('k'),
      'my-app/node_modules/left-pad/index.js': strToU8('module.exports = 1'),
      'my-app/.git/HEAD': strToU8('ref: refs/heads/main'),
      'my-app/dist/bundle.js': strToU8('built'),
    });
    const before = server.app.sessions.size;
    const r = await request<ProjectCreated>(client, 'project:import', { name: 'my-app', zip });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.data.files, 4);
    assert.equal(r.data.skipped, 5);
    assert.equal(server.app.sessions.size, before + 1);
    const { socket, doc } = await openSession(server, r.data.sessionId);
    assert.deepEqual(listFiles(doc), ['.gitignore', 'docs/café menu.md', 'src/index.ts']);
    assert.equal(readFile(doc, 'docs/café menu.md'), '# Menü ✓\n');
    const bin = binariesOf(doc).get('assets/logo.png');
    assert.deepEqual(bin, { sha256: createHash('sha256').update(PNG).digest('hex'), size: PNG.length });
    assert.deepEqual(baseOf(doc).get('src/index.ts'), { kind: 'text', text: 'export const x = 1;\n' });
    assert.equal(projectMeta(doc)?.name, 'my-app');
    const blob = await request<{ bytes: Uint8Array }>(socket, 'blob:get', { sha256: bin!.sha256 });
    assert.ok(blob.ok);
    assert.deepEqual(new Uint8Array(blob.data.bytes), PNG);
    const other = await request(socket, 'blob:get', { sha256: 'a'.repeat(64) });
    assert.equal(!other.ok && other.error.code, 'blobNotFound');
  });

  const refused: Array<[string, () => Uint8Array, string, RegExp]> = [
    ['a ../ entry', () => zipSync({ 'ok.txt': strToU8('x'), '../evil.txt': strToU8('x') }), 'importInvalid', /"\.\.\/evil\.txt" points outside the project/],
    ['an absolute entry', () => zipSync({ '/etc/passwd': strToU8('x') }), 'importInvalid', /absolute path/],
    ['a symbolic link', () => zipSync({ 'link': [strToU8('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] }), 'importInvalid', /"link" is a symbolic link/],
    ['a device file', () => zipSync({ 'dev': [strToU8(''), { os: 3, attrs: (0o020666 << 16) >>> 0 }] }), 'importInvalid', /device or special file/],
    ['a corrupt zip', () => new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3, 4, 5, 6]), 'importInvalid', /not a zip file/],
    ['a file over the single-file limit', () => zipSync({ 'small.txt': strToU8('x'), 'big.bin': new Uint8Array(20 * 1024) }), 'limitExceeded', /big\.bin is 20\.0 KiB, over the 16\.0 KiB limit for one file \(FLINT_IMPORT_MAX_FILE_BYTES\)/],
    ['a project over the total limit', () => zipSync(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, strToU8('y'.repeat(12 * 1024))]))), 'limitExceeded', /over the 64\.0 KiB limit in total \(FLINT_IMPORT_MAX_BYTES\), reached at f5\.txt/],
    ['too many files', () => zipSync(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}.txt`, strToU8('z')]))), 'limitExceeded', /more than 20 files.*FLINT_IMPORT_MAX_FILES/],
    ['a name with a control character', () => zipSync({ 'bad\u0001name.txt': strToU8('z') }), 'importInvalid', /control characters/],
  ];
  for (const [what, make, code, message] of refused) {
    it(`refuses ${what} with a clear message, and creates no session`, async () => {
      const before = server.app.sessions.size;
      const r = await request(client, 'project:import', { name: 'bad', zip: make() });
      assert.equal(r.ok, false);
      assert.ok(!r.ok);
      assert.equal(r.error.code, code, r.error.message);
      assert.match(r.error.message, message);
      assert.equal(server.app.sessions.size, before);
    });
  }

  it('refuses a zip bomb that lies about its size', async () => {
    const zip = zipSync({ 'bomb.txt': new Uint8Array(200 * 1024) });
    // Patch the declared size (central directory, offset 24) down to 100 bytes.
    const view = new DataView(zip.buffer);
    for (let i = zip.length - 22; i >= 0; i--) if (view.getUint32(i, true) === 0x06054b50) {
      const cd = view.getUint32(i + 16, true);
      view.setUint32(cd + 24, 100, true);
      break;
    }
    const r = await request(client, 'project:import', { name: 'bomb', zip });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'importInvalid');
  });
});

describe('project:template', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    closeClients();
    await server.close();
  });
  for (const [template, file] of [['ts-library', 'src/index.test.ts'], ['react-app', 'src/App.tsx'], ['python-package', 'tests/test_core.py']] as const) {
    it(`${template} starts a session with its files and a base`, async () => {
      const client = await helloClient(server.url);
      const r = await request<ProjectCreated>(client, 'project:template', { template });
      assert.ok(r.ok);
      const { doc } = await openSession(server, r.data.sessionId);
      assert.ok(readFile(doc, file));
      assert.equal(baseOf(doc).size, listFiles(doc).length);
      assert.equal(projectMeta(doc)?.source, 'template');
    });
  }
});

describe('project:clone (git over smart HTTP)', () => {
  let server: TestServer;
  let gitServer: GitServer;
  let client: TestClient;
  before(async () => {
    gitServer = await startGitServer();
    server = await startTestServer();
    client = await helloClient(server.url);
  });
  after(async () => {
    closeClients();
    await server.close();
    await gitServer.close();
  });

  it('clones shallow, with a branch, shows progress, keeps binaries and records the commit', async () => {
    const url = gitServer.createRepo('app', { 'README.md': '# main\n', 'src/a b.ts': 'export {};\n', 'img/x.png': Buffer.from(PNG), 'node_modules/x.js': '1' });
    const work = gitServer.git(['rev-parse', 'HEAD'], `${gitServer.root}/app.git`).trim();
    const progress: string[] = [];
    client.on('project:progress', (e) => progress.push(e.phase));
    const r = await request<ProjectCreated>(client, 'project:clone', { url, ref: 'main' });
    client.off('project:progress');
    assert.ok(r.ok, JSON.stringify(r));
    const { doc } = await openSession(server, r.data.sessionId);
    assert.deepEqual(listFiles(doc), ['README.md', 'src/a b.ts']);
    assert.equal(binariesOf(doc).get('img/x.png')?.size, PNG.length);
    const meta = projectMeta(doc);
    assert.equal(meta?.source, 'git');
    assert.equal(meta?.commit, work);
    assert.equal(meta?.name, 'app');
    assert.ok(progress.includes('Storing'), progress.join(','));
  });

  it('answers gitFailed for a repository that is not there (404), and for an unknown branch', async () => {
    const before = server.app.sessions.size;
    const r = await request(client, 'project:clone', { url: `${gitServer.url}/missing.git` });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'gitFailed');
    assert.match(r.error.message, /404|no git repository/i);
    const url = gitServer.createRepo('branchy', { 'a.txt': 'a\n' });
    const b = await request(client, 'project:clone', { url, ref: 'nope' });
    assert.ok(!b.ok);
    assert.equal(b.error.code, 'gitFailed');
    assert.equal(server.app.sessions.size, before);
  });

  it('answers addressRefused for metadata, non-http schemes and (without the opt-in) loopback', async () => {
    for (const url of ['http://169.254.169.254/latest.git', 'file:///etc/passwd', 'ssh://127.0.0.1/x.git']) {
      const r = await request(client, 'project:clone', { url });
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'addressRefused', `${url}: ${r.error.message}`);
    }
    const strict = await startTestServer({ projects: { allowPrivate: false }, resolveForClone: async () => [{ address: '127.0.0.1', family: 4 }] });
    try {
      const c = await helloClient(strict.url);
      const url = gitServer.createRepo('private', { 'a.txt': 'a\n' });
      for (const u of [url, url.replace('127.0.0.1', 'git.internal.test')]) {
        const r = await request(c, 'project:clone', { url: u });
        assert.ok(!r.ok);
        assert.equal(r.error.code, 'addressRefused', r.error.message);
        assert.match(r.error.message, /loopback.*FLINT_IMPORT_ALLOW_PRIVATE/);
      }
    } finally {
      await strict.close();
    }
  });
});

describe('project:push (a branch to the git origin)', () => {
  let server: TestServer;
  let gitServer: GitServer;
  before(async () => {
    gitServer = await startGitServer({ token: 'right-token' });
    server = await startTestServer();
  });
  after(async () => {
    closeClients();
    await server.close();
    await gitServer.close();
  });

  it('pushes the changes as a commit on a new branch; a wrong token and a non-fast-forward are refused', async () => {
    const url = gitServer.createRepo('pushy', { 'README.md': '# one\n', 'src/a.ts': 'export const a = 1;\n', 'gone.txt': 'x\n', 'img.png': Buffer.from(PNG) });
    const bare = `${gitServer.root}/pushy.git`;
    const client = await helloClient(server.url);
    const r = await request<ProjectCreated>(client, 'project:clone', { url });
    assert.ok(r.ok);
    const { socket, doc } = await openSession(server, r.data.sessionId);
    // Edit as a browser does: a Yjs update for the text, file events for the rest.
    const before = Y.encodeStateVector(doc);
    doc.getMap<Y.Text>('files').get('src/a.ts')!.insert(0, '// pushed from Flint\n');
    binariesOf(doc).delete('img.png');
    assert.ok((await request(socket, 'doc:update', Y.encodeStateAsUpdate(doc, before))).ok);
    assert.ok((await request(socket, 'file:create', { path: 'notes/new file ✓.md', content: 'hi\n' })).ok);
    assert.ok((await request(socket, 'file:delete', { path: 'gone.txt' })).ok);

    const wrong = await request(socket, 'project:push', { branch: 'flint/test', token: 'wrong' });
    assert.ok(!wrong.ok);
    assert.equal(wrong.error.code, 'pushRejected');
    assert.match(wrong.error.message, /refused the token/);
    assert.doesNotMatch(wrong.error.message, /wrong/);

    const ok = await request<{ branch: string; commit: string; url: string }>(socket, 'project:push', { branch: 'flint/test', token: 'right-token', message: 'From the test' });
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(gitServer.git(['rev-parse', 'flint/test'], bare).trim(), ok.data.commit);
    assert.equal(gitServer.git(['show', 'flint/test:src/a.ts'], bare), '// pushed from Flint\nexport const a = 1;\n');
    assert.equal(gitServer.git(['show', 'flint/test:notes/new file ✓.md'], bare), 'hi\n');
    const tree = gitServer.git(['ls-tree', '-r', '--name-only', '-z', 'flint/test'], bare).split('\0').filter(Boolean).sort();
    assert.deepEqual(tree, ['README.md', 'notes/new file ✓.md', 'src/a.ts']);
    assert.equal(gitServer.git(['log', '-1', '--format=%s', 'flint/test'], bare).trim(), 'From the test');
    assert.equal(gitServer.git(['rev-parse', 'flint/test^'], bare).trim(), projectMeta(doc)?.commit);
    assert.match(ok.data.url, /pushy\.git \(branch flint\/test\)/);

    // The branch now has a commit this session's next push would not contain: refused, not forced.
    const again = await request(socket, 'project:push', { branch: 'flint/test', token: 'right-token' });
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'pushRejected', again.error.message);
  });

  it('refuses a session that was not cloned from git', async () => {
    const { socket } = await joinedClient(server.url);
    const r = await request(socket, 'project:push', { branch: 'x', token: 't' });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'badRequest');
  });
});
