import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import { checkAddress } from '@/server/net/address-policy';
import { guardedHttp } from '@/server/projects/git-http';

/**
 * DNS rebinding against the git import, through a real DNS server on loopback: `rebind.test`
 * first resolves to a public address (what a check-then-fetch importer would check), then to
 * 127.0.0.1 (what it would connect to). Flint checks the address it connects to, inside the
 * socket's lookup, so the second answer is refused and nothing reaches the loopback server. The
 * public address is only ever checked, never connected to.
 */
describe('DNS rebinding through a local resolver', () => {
  let dnsServer: dgram.Socket;
  let resolver: dns.promises.Resolver;
  let target: http.Server;
  let hits = 0;
  const answers = ['93.184.216.34', '127.0.0.1'];
  let queries = 0;

  before(async () => {
    dnsServer = dgram.createSocket('udp4');
    dnsServer.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const question = q.questions?.[0];
      const answer = question?.type === 'A' && question.name === 'rebind.test' ? [{ type: 'A' as const, name: question.name, ttl: 0, data: answers[Math.min(queries++, answers.length - 1)] }] : [];
      dnsServer.send(dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: answer }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => dnsServer.bind(0, '127.0.0.1', resolve));
    resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dnsServer.address().port}`]);
    target = http.createServer((_req, res) => {
      hits++;
      res.end('you reached loopback');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    dnsServer.close();
    await new Promise((resolve) => target.close(resolve));
  });

  it('the check-time answer passes, the connect-time answer is refused, nothing is reached', async () => {
    const resolve = async (hostname: string) => (await resolver.resolve4(hostname)).map((address) => ({ address, family: 4 }));
    // What a naive importer checks: the first answer, a public address.
    const [first] = await resolve('rebind.test');
    assert.equal(first.address, '93.184.216.34');
    assert.equal(checkAddress(first.address, { allowPrivate: false }).ok, true);
    // What Flint does: resolve again inside the connection's lookup, and judge that answer.
    const client = guardedHttp({ policy: { allowPrivate: false }, maxBytes: 1e6, resolve });
    const port = (target.address() as AddressInfo).port;
    await assert.rejects(
      client.request({ url: `http://rebind.test:${port}/repo.git/info/refs?service=git-upload-pack`, method: 'GET', headers: {} }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'addressRefused');
        assert.match(err.message, /rebind\.test resolves to 127\.0\.0\.1/);
        return true;
      },
    );
    assert.equal(queries, 2, 'the name was resolved again for the connection');
    assert.equal(hits, 0, 'nothing reached the loopback server');
  });
});
