import { lookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

/**
 * Where a webhook may be sent (docs/WEBHOOKS.md, "Receivers"). A venue admin chooses the URL, and the
 * node POSTs to it and shows the answer's status in the delivery log: without a rule, an admin could
 * make the node reach the services of its own machine or network (databases' HTTP ports, cloud
 * metadata at 169.254.169.254…) and read from the log whether they answer. So, unless the operator
 * allows private receivers (REZO_WEBHOOKS_ALLOW_PRIVATE, on by default only outside production),
 * receivers must be public: checked on the URL when it is registered, and on the address actually
 * connected to at each delivery (a name may resolve elsewhere later: DNS rebinding).
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // Unspecified, loopback, NAT64, Teredo and 6to4 (all three reach IPv4 addresses, private ones
  // included: refused rather than decoded), discard, documentation, unique local, link-local, multicast.
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2002::', 16],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked by BlockList against the IPv4 rules above.

/** True for an IP address a public receiver may have; false for private, loopback, link-local… and non-addresses. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a URL's host cannot be a public receiver, or null. Names that only make sense inside a network
 * (localhost, *.localhost, *.local, *.internal, *.lan, names without a dot) are refused by name;
 * other names are resolved at delivery (publicOnlyLookup).
 */
export function privateHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (isIP(host)) return !isPublicAddress(host);
  return !host.includes('.') || host === 'localhost' || /\.(localhost|local|internal|lan|home\.arpa)$/.test(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup for outgoing connections that keeps only public addresses: the connection goes to an
 * address that was checked (no second resolution), and a name resolving only to private addresses
 * fails with EPRIVATEADDRESS. Works for both forms Node asks for (one address, or all of them).
 */
export function publicOnlyLookup(
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) {
      const refused = Object.assign(
        new Error(`${hostname} resolves to a private address (${addresses.map((a) => a.address).join(', ')})`),
        { code: 'EPRIVATEADDRESS' },
      );
      return callback(refused, []);
    }
    if ((options as LookupAllOptions).all) return callback(null, allowed);
    return callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

/** Connections that go only to public addresses: the address connected to is the one checked. */
const publicOnly = new Agent({ connect: { lookup: publicOnlyLookup } });

/**
 * An outgoing request to a URL someone else chose (a webhook receiver, a peer node): unless private
 * addresses are allowed, an address written in the URL must be public (it is not looked up), and a
 * name connects only to the public addresses it resolves to. Fails with EPRIVATEADDRESS otherwise.
 */
export async function fetchOutside(url: string, allowPrivate: boolean, init: RequestInit = {}): Promise<Response> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && !isPublicAddress(host))
    throw Object.assign(new Error(`${host} is a private address`), { code: 'EPRIVATEADDRESS' });
  return fetch(url, { ...init, ...(allowPrivate ? {} : { dispatcher: publicOnly }) });
}
