import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import git from 'isomorphic-git';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guardedHttp } from './git-http';
import { startGitServer, type GitServer } from '@/test/support/git-http-server';

// The SSRF guard as isomorphic-git uses it. Every address here is loopback, or refused before any
// connection (an IP literal by checkUrl, a name by the guarded lookup with an injected resolver):
// nothing connects off this machine.

const strict = { allowPrivate: false };
const resolverTo = (address: string, family = address.includes(':') ? 6 : 4) => async () => [{ address, family }];

async function get(client: ReturnType<typeof guardedHttp>, url: string) {
  const res = await client.request({ url, method: 'GET', headers: {} });
  const parts: Uint8Array[] = [];
  for await (const c of res.body ?? []) parts.push(c);
  return { status: res.statusCode, url: res.url, text: Buffer.concat(parts).toString() };
}

describe('guardedHttp (isomorphic-git http plugin)', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/to-name') return void res.writeHead(301, { location: 'http://internal.example/x' }).end();
      if (req.url === '/to-ftp') return void res.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end();
      if (req.url === '/hop') return void res.writeHead(307, { location: '/ok' }).end();
      if (req.url === '/big') return void res.end(Buffer.alloc(64 * 1024, 1));
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses a loopback IP literal unless private addresses are allowed', async () => {
    await assert.rejects(get(guardedHttp({ policy: strict, maxBytes: 1e6 }), `${base}/ok`), { code: 'addressRefused', message: /loopback/ });
    assert.equal((await get(guardedHttp({ policy: { allowPrivate: true }, maxBytes: 1e6 }), `${base}/ok`)).text, 'ok');
  });

  for (const [address, why] of [
    ['127.0.0.1', /loopback/],
    ['10.1.2.3', /private/],
    ['::1', /loopback/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['169.254.10.10', /linkLocal/],
  ] as const) {
    it(`refuses a name that resolves to ${address}, before connecting`, async () => {
      const client = guardedHttp({ policy: strict, maxBytes: 1e6, resolve: resolverTo(address) });
      await assert.rejects(get(client, 'http://git.example.test/repo.git/info/refs'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'addressRefused');
        assert.match(err.message, why);
        return true;
      });
    });
  }

  it('checks every redirect: to a metadata literal, to a name resolving privately, to another scheme', async () => {
    const allowLoopbackOnly = guardedHttp({ policy: { allowPrivate: true }, maxBytes: 1e6, resolve: resolverTo('169.254.169.254') });
    await assert.rejects(get(allowLoopbackOnly, `${base}/to-metadata`), { code: 'addressRefused', message: /metadata/ });
    await assert.rejects(get(allowLoopbackOnly, `${base}/to-name`), { code: 'addressRefused', message: /internal\.example resolves to 169\.254\.169\.254/ });
    await assert.rejects(get(allowLoopbackOnly, `${base}/to-ftp`), { code: 'addressRefused', message: /only http and https/ });
  });

  it('follows an allowed redirect and reports the final URL', async () => {
    const r = await get(guardedHttp({ policy: { allowPrivate: true }, maxBytes: 1e6 }), `${base}/hop`);
    assert.equal(r.text, 'ok');
    assert.equal(r.url, `${base}/ok`);
  });

  it('stops a response past the size budget', async () => {
    await assert.rejects(get(guardedHttp({ policy: { allowPrivate: true }, maxBytes: 1000 }), `${base}/big`), { code: 'limitExceeded', message: /FLINT_GIT_MAX_BYTES/ });
  });
});

describe('isomorphic-git through the guard', () => {
  let gitServer: GitServer;
  before(async () => {
    gitServer = await startGitServer();
  });
  after(() => gitServer.close());

  it('clones from a loopback git server only when private addresses are allowed', async () => {
    const url = gitServer.createRepo('guarded', { 'a.txt': 'hello\n' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flint-guard-'));
    try {
      await assert.rejects(git.clone({ fs, dir, url, http: guardedHttp({ policy: strict, maxBytes: 1e7 }), depth: 1, singleBranch: true }), { code: 'addressRefused' });
      await git.clone({ fs, dir, url, http: guardedHttp({ policy: { allowPrivate: true }, maxBytes: 1e7 }), depth: 1, singleBranch: true });
      assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'hello\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
