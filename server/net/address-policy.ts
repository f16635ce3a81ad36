import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a server-side fetch of a user-given URL (a git clone, a registry tarball) may
 * connect to. The check runs on the address actually connected to — after DNS, inside the socket's
 * `lookup` — so a name that resolves to a public address when checked and to 127.0.0.1 when
 * connected (DNS rebinding) cannot slip through, and every redirect goes through it again.
 *
 * Invariants:
 * - Only `unicast` (public) ranges pass by default. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is
 *   judged as the IPv4 address it carries; IPv6 forms that embed an IPv4 address (6to4, Teredo,
 *   NAT64) are refused, since what they reach depends on a translator.
 * - `allowPrivate` (FLINT_IMPORT_ALLOW_PRIVATE, for self-hosted git servers) lifts the rule for
 *   private, unique-local, carrier-grade NAT and loopback ranges, never for link-local (cloud
 *   metadata lives at 169.254.169.254 and fd00:ec2::254 is unique-local: it is named below),
 *   unspecified (0.0.0.0 reaches this host), multicast, broadcast or reserved ranges.
 * - A name that resolves to several addresses is refused when any of them is refused: which one
 *   the socket would use is not ours to pick.
 */
export interface AddressPolicy {
  allowPrivate: boolean;
}

export type AddressVerdict = { ok: true; address: string } | { ok: false; address: string; reason: string };

const PRIVATE_RANGES = new Set(['private', 'uniqueLocal', 'carrierGradeNat', 'loopback']);
/** Cloud metadata endpoints, refused even when private addresses are allowed. */
const METADATA = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toNormalizedString());

/** Judges one IP address (v4 or v6 text). Anything that does not parse is refused. */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  if (!ipaddr.isValid(address)) return { ok: false, address, reason: 'is not an IP address' };
  // process() turns ::ffff:a.b.c.d into a.b.c.d, so a mapped loopback is judged as loopback.
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (METADATA.includes(ip.toNormalizedString())) return { ok: false, address, reason: 'is a cloud metadata address' };
  if (range === 'unicast') return { ok: true, address };
  if (policy.allowPrivate && PRIVATE_RANGES.has(range)) return { ok: true, address };
  const hint = PRIVATE_RANGES.has(range) ? ' (FLINT_IMPORT_ALLOW_PRIVATE=true allows it)' : '';
  return { ok: false, address, reason: `is in the ${range} range${hint}` };
}

/** Why a URL or address was refused; `message` is safe to show to the person who gave the URL. */
export class AddressRefusedError extends Error {
  readonly code = 'addressRefused';
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

/** Checks the parts of a URL that need no DNS: scheme, and the host when it is an IP literal. */
export function checkUrl(input: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AddressRefusedError(`"${input.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AddressRefusedError(`only http and https URLs can be fetched, not ${url.protocol.slice(0, -1)}`);
  }
  // WHATWG URL parsing already normalised 0x7f.1, 2130706433 and friends to dotted IPv4.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (net.isIP(host)) {
    const verdict = checkAddress(host, policy);
    if (!verdict.ok) throw new AddressRefusedError(`${url.host} ${verdict.reason}`);
  }
  return url;
}

type LookupAll = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `net.connect`-style `lookup` that resolves the name and refuses any non-allowed address:
 * pass it as the `lookup` of an http(s) Agent or an undici `connect` option, so the address
 * checked is the address connected to. `resolve` is for tests (a resolver on loopback).
 */
export function guardedLookup(policy: AddressPolicy, resolve: LookupAll = (h, o) => dns.promises.lookup(h, o)) {
  return (hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback): void => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = typeof options === 'object' ? options : {};
    const literal = net.isIP(hostname) ? [{ address: hostname, family: net.isIP(hostname) }] : null;
    (literal ? Promise.resolve(literal) : resolve(hostname, { all: true })).then(
      (addresses) => {
        if (addresses.length === 0) return cb(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), '');
        for (const a of addresses) {
          const verdict = checkAddress(a.address, policy);
          if (!verdict.ok) return cb(new AddressRefusedError(`${hostname} resolves to ${a.address}, which ${verdict.reason}`), '');
        }
        if (opts.all) cb(null, addresses);
        else cb(null, addresses[0].address, addresses[0].family);
      },
      (err: NodeJS.ErrnoException) => cb(err, ''),
    );
  };
}
