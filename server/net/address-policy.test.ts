import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressRefusedError, checkAddress, checkUrl, guardedLookup } from './address-policy';

const strict = { allowPrivate: false };
const lax = { allowPrivate: true };

// Only the check is exercised for these: nothing here connects to any of them.
const REFUSED_ALWAYS: Array<[string, string]> = [
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['169.254.169.254', 'metadata'],
  ['169.254.1.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['fd00:ec2::254', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['2002:7f00:1::', '6to4 (embeds 127.0.0.1)'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ['64:ff9b::7f00:1', 'NAT64 (embeds 127.0.0.1)'],
  ['not-an-ip', 'garbage'],
];
const PRIVATE: string[] = [
  '127.0.0.1',
  '127.1.2.3',
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '10.0.0.1',
  '172.16.5.4',
  '192.168.1.1',
  '::ffff:192.168.1.1',
  'fc00::1',
  'fd12:3456::1',
  '100.64.0.1',
];
const PUBLIC = ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '140.82.112.3'];

describe('checkAddress', () => {
  for (const [address, why] of REFUSED_ALWAYS) {
    it(`refuses ${address} (${why}), even with private addresses allowed`, () => {
      assert.equal(checkAddress(address, strict).ok, false);
      assert.equal(checkAddress(address, lax).ok, false);
    });
  }
  for (const address of PRIVATE) {
    it(`refuses ${address} unless private addresses are allowed`, () => {
      const verdict = checkAddress(address, strict);
      assert.equal(verdict.ok, false);
      assert.match(!verdict.ok ? verdict.reason : '', /FLINT_IMPORT_ALLOW_PRIVATE/);
      assert.equal(checkAddress(address, lax).ok, true);
    });
  }
  for (const address of PUBLIC) {
    it(`allows the public address ${address}`, () => assert.equal(checkAddress(address, strict).ok, true));
  }
});

describe('checkUrl', () => {
  it('refuses schemes other than http(s)', () => {
    for (const u of ['file:///etc/passwd', 'git://example.com/r.git', 'ssh://git@example.com/r', 'ftp://example.com/', 'javascript:alert(1)']) {
      assert.throws(() => checkUrl(u, lax), AddressRefusedError, u);
    }
  });
  it('refuses what is not a URL', () => assert.throws(() => checkUrl('example.com/repo.git', strict), /is not a URL/));
  it('judges IP literals in every spelling the URL parser accepts', () => {
    for (const u of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]:8080/', 'https://169.254.169.254/latest']) {
      assert.throws(() => checkUrl(u, strict), AddressRefusedError, u);
    }
    assert.equal(checkUrl('https://8.8.8.8/x', strict).hostname, '8.8.8.8');
  });
  it('leaves names to the lookup', () => assert.equal(checkUrl('https://git.example.com/a/b.git', strict).hostname, 'git.example.com'));
});

function lookup(policy: { allowPrivate: boolean }, answers: string[][]) {
  let call = 0;
  const fn = guardedLookup(policy, async () => (answers[Math.min(call++, answers.length - 1)] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  return (host: string, all = false) =>
    new Promise<unknown>((resolve, reject) => fn(host, { all }, (err, address) => (err ? reject(err) : resolve(address))));
}

describe('guardedLookup', () => {
  it('answers with the resolved public address', async () => {
    assert.equal(await lookup(strict, [['93.184.216.34']])('example.com'), '93.184.216.34');
  });
  it('refuses a name resolving to loopback, IPv4-mapped loopback or metadata', async () => {
    for (const answer of [['127.0.0.1'], ['::ffff:127.0.0.1'], ['::1'], ['169.254.169.254']]) {
      await assert.rejects(lookup(strict, [answer])('evil.example'), AddressRefusedError);
    }
  });
  it('refuses when any of several addresses is refused', async () => {
    await assert.rejects(lookup(strict, [['93.184.216.34', '10.0.0.5']])('mixed.example', true), /10\.0\.0\.5/);
  });
  it('checks every lookup, so a rebinding name is refused when it turns private', async () => {
    const l = lookup(strict, [['93.184.216.34'], ['127.0.0.1']]);
    assert.equal(await l('rebind.example'), '93.184.216.34');
    await assert.rejects(l('rebind.example'), /127\.0\.0\.1/);
  });
  it('is what an http Agent connects through: loopback refused before any connection, allowed with allowPrivate', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const get = (policy: { allowPrivate: boolean }) =>
      new Promise<string>((resolve, reject) => {
        const agent = new http.Agent({ lookup: guardedLookup(policy, async () => [{ address: '127.0.0.1', family: 4 }]) as never });
        http
          .get({ host: 'repo.test', port, agent }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c)).on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    try {
      await assert.rejects(get(strict), AddressRefusedError);
      assert.equal(connections, 0);
      assert.equal(await get(lax), 'ok');
      assert.equal(connections, 1);
    } finally {
      server.close();
    }
  });
});
