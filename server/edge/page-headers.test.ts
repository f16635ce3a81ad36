import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { applyPageHeaders, pageCsp } from './page-headers';

function directives(csp: string): Map<string, string> {
  return new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.slice(d.indexOf(' ') + 1)]));
}

function fakeExchange(host: string | undefined) {
  const headers: Record<string, string> = {};
  const req = { headers: host === undefined ? {} : { host }, socket: {} } as unknown as http.IncomingMessage;
  const res = { setHeader: (k: string, v: string) => void (headers[k.toLowerCase()] = v) } as unknown as http.ServerResponse;
  return { req, res, headers };
}

describe('IDE page headers', () => {
  it('a fresh nonce per response, on the response and on the request Next reads it from', () => {
    const a = fakeExchange('127.0.0.1:3000');
    const b = fakeExchange('127.0.0.1:3000');
    applyPageHeaders(a.req, a.res, { dev: false });
    applyPageHeaders(b.req, b.res, { dev: false });
    const nonce = /'nonce-([^']+)'/.exec(a.headers['content-security-policy'])![1];
    assert.ok(nonce.length >= 22);
    assert.equal(a.req.headers['content-security-policy'], a.headers['content-security-policy']);
    assert.notEqual(a.headers['content-security-policy'], b.headers['content-security-policy']);
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    assert.equal(a.headers['referrer-policy'], 'no-referrer');
    assert.match(a.headers['permissions-policy'], /camera=\(\)/);
  });
  it('no framing by others, no eval in production, no plugins, no <base>', () => {
    const d = directives(pageCsp({ nonce: 'n', origin: 'http://127.0.0.1:3000', dev: false }));
    assert.equal(d.get('frame-ancestors'), "'self'");
    assert.doesNotMatch(d.get('script-src')!, /'unsafe-eval'|'unsafe-inline'/);
    assert.equal(d.get('object-src'), "'none'");
    assert.equal(d.get('base-uri'), "'none'");
    assert.match(d.get('connect-src')!, /ws:\/\/127\.0\.0\.1:3000/);
    assert.match(directives(pageCsp({ nonce: 'n', origin: 'http://h', dev: true })).get('script-src')!, /'unsafe-eval'/);
  });
  it('frames only the sandbox origin the page will load', () => {
    assert.equal(directives(pageCsp({ nonce: 'n', origin: 'http://127.0.0.1:3000', dev: false })).get('frame-src'), "'self' http://localhost:3000");
    assert.equal(directives(pageCsp({ nonce: 'n', origin: 'https://flint.example.com', dev: false, sandboxOrigin: 'https://sb.example.net' })).get('frame-src'), "'self' https://sb.example.net");
    assert.equal(directives(pageCsp({ nonce: 'n', origin: 'https://flint.example.com', dev: false })).get('frame-src'), "'self'");
  });
  it('may fetch package bundles from the sandbox origin, and nothing else there', () => {
    assert.equal(directives(pageCsp({ nonce: 'n', origin: 'https://flint.example.com', dev: false, sandboxOrigin: 'https://sb.example.net' })).get('connect-src'), "'self' wss://flint.example.com https://sb.example.net/_flint/pkg/ https://sb.example.net/_flint/types/");
  });
  it('does not put a hostile Host header into the policy', () => {
    const x = fakeExchange("evil; script-src * 'unsafe-inline'");
    applyPageHeaders(x.req, x.res, { dev: false });
    const csp = x.headers['content-security-policy'];
    assert.doesNotMatch(csp, /evil|\*/);
    assert.equal(directives(csp).get('connect-src'), "'self'");
  });
});
