import { BlockList, isIP } from "node:net";

/**
 * Which IP addresses outbound tool requests may connect to. The default, `isPublicAddress`, admits only
 * globally routable unicast addresses: an LLM can be talked into requesting anything, and what it must
 * never reach is the machine itself, the private network, or the cloud metadata endpoint.
 */

/** Where a connection is headed; lets a policy (e.g. in a test) decide on more than the address. */
export interface ConnectTarget {
  /** The host as written in the URL (a name or an IP literal, without brackets). */
  hostname: string;
  port: number;
  protocol: "http:" | "https:";
}

export type AddressPolicy = (address: string, target: ConnectTarget) => boolean;

// Special-purpose IPv4 ranges (RFC 6890 and successors) that are not reachable public hosts.
const deniedV4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network", incl. the unspecified address
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, incl. 169.254.169.254 cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, incl. broadcast
] as const) {
  deniedV4.addSubnet(net, prefix, "ipv4");
}

// IPv6 is an allow-list: only global unicast (2000::/3), minus the special parts of it. Everything else
// (loopback, unspecified, link-local, unique-local, multicast, NAT64, IPv4-compatible) is refused.
const globalV6 = new BlockList();
globalV6.addSubnet("2000::", 3, "ipv6");
const deniedV6 = new BlockList();
for (const [net, prefix] of [
  ["2001::", 23], // IETF protocol assignments, incl. Teredo (2001::/32), which tunnels to IPv4
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an arbitrary (possibly private) IPv4 address
  ["3fff::", 20], // documentation
] as const) {
  deniedV6.addSubnet(net, prefix, "ipv6");
}

export function isPublicAddress(address: string): boolean {
  const ip = stripZone(address);
  const family = isIP(ip);
  if (family === 4) return !deniedV4.check(ip, "ipv4");
  if (family !== 6) return false;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) reaches the IPv4 host, so it is judged as that host.
  const mapped = embeddedV4(ip);
  if (mapped !== undefined) return !deniedV4.check(mapped, "ipv4");
  return globalV6.check(ip, "ipv6") && !deniedV6.check(ip, "ipv6");
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96), in either notation. */
function embeddedV4(ip: string): string | undefined {
  // The URL parser canonicalises IPv6 (lower case, compressed, dotted tail as hex): one form to match.
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (m === null) return undefined;
  const hi = parseInt(m[1] ?? "0", 16);
  const lo = parseInt(m[2] ?? "0", 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Drops an IPv6 zone index (fe80::1%eth0): the address is judged without it. */
function stripZone(address: string): string {
  const i = address.indexOf("%");
  return i === -1 ? address : address.slice(0, i);
}

export const publicAddressesOnly: AddressPolicy = (address) => isPublicAddress(address);
export const anyAddress: AddressPolicy = () => true;
