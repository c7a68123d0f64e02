/**
 * `serve --trusted-proxies`: behind a reverse proxy (nginx, Caddy) every request comes from the proxy's
 * address, so `--rate-limit` would put every client in one bucket. When the socket's peer is a proxy the
 * operator named, the client is read from the `X-Forwarded-For` the proxies built instead.
 *
 * The header is read from the right: each proxy appends the address it was connected from, so the entries
 * written by trusted proxies are at the end, and whatever the client sent itself is to their left. The first
 * entry from the right that is not a trusted proxy is the client (nginx's `real_ip_recursive`, the
 * "rightmost untrusted" rule): a client that sends `X-Forwarded-For: 1.2.3.4` gets `1.2.3.4, <its address>`
 * and is still counted as its address. The left-most entry is never taken on its own, since anyone can write
 * it. A peer that is not trusted is the client, and its header is never read.
 *
 * Only `X-Forwarded-For`, not RFC 7239's `Forwarded`: nginx and Caddy write the former (Caddy by default,
 * nginx with `$proxy_add_x_forwarded_for`) and pass a client's `Forwarded` on untouched, so reading it would
 * let any client behind them name its own bucket. One header, the one the proxy is told to write, is the only
 * one that can be trusted; `Forwarded`'s quoted, obfuscated and port-carrying forms would add parsing for no
 * proxy the deployment docs describe.
 */
import { ipv4Octets, ipv6Groups, maskGroups } from "./client_address.ts";

/** An address or CIDR range of `--trusted-proxies`, as eight 16-bit groups (IPv4 as `::ffff:a.b.c.d`). */
export interface AddressRange {
  /** As the operator wrote it (trimmed): what a worker is handed. */
  readonly text: string;
  /** The network's groups, every bit past `bits` zero. */
  readonly groups: readonly number[];
  /** Prefix length over the 128-bit form (an IPv4 /8 is 96 + 8). */
  readonly bits: number;
}

/**
 * The eight 16-bit groups of an IP address, an IPv4 one as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), so
 * a dual-stack socket's `::ffff:10.0.0.1` and a plain `10.0.0.1` are one address; undefined for anything
 * else, and for an address with a zone id (`fe80::1%eth0`: which link is not said by a range).
 */
export function addressGroups(text: string): number[] | undefined {
  if (!text.includes(":")) {
    const octets = ipv4Octets(text);
    return octets && [0, 0, 0, 0, 0, 0xffff, (octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]];
  }
  return text.includes("%") ? undefined : ipv6Groups(text);
}

const EXAMPLE = "e.g. 127.0.0.1, 10.0.0.0/8, ::1 or 2001:db8::/32";

/**
 * An IP address (one host) or a CIDR range, IPv4 or IPv6, or a problem saying what is wrong with it. A range
 * with bits set past its prefix (`10.0.0.1/8`) is refused rather than masked: it is often a host meant alone
 * (`/32`). A /0 is refused: trusting every peer would let any client name its own bucket.
 */
export function parseAddressRange(input: string): AddressRange | { readonly problem: string } {
  const text = input.trim();
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const ipv4 = !address.includes(":");
  if (address.includes("%")) {
    return {
      problem: `${text}: a zone id (%…) cannot be trusted; give the proxy's loopback or global address`,
    };
  }
  const groups = addressGroups(address);
  if (groups === undefined) return { problem: `${text} is not an IP address or CIDR range (${EXAMPLE})` };
  const most = ipv4 ? 32 : 128;
  const prefix = slash === -1 ? String(most) : text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefix) || Number(prefix) > most) {
    return { problem: `${text}: the prefix length of an IPv${ipv4 ? 4 : 6} range is 1–${most}` };
  }
  if (Number(prefix) === 0) {
    return {
      problem: `${text} trusts every address, so any client could name its own bucket in X-Forwarded-For; ` +
        `list the proxies' addresses (${EXAMPLE})`,
    };
  }
  const bits = Number(prefix) + (ipv4 ? 96 : 0);
  const network = maskGroups(groups, bits);
  if (network.some((g, i) => g !== groups[i])) {
    const base = ipv4
      ? [network[6] >> 8, network[6] & 0xff, network[7] >> 8, network[7] & 0xff].join(".")
      : network.map((g) => g.toString(16)).join(":");
    return { problem: `${text} has bits set past its /${prefix}: the range is ${base}/${prefix}` };
  }
  return { text, groups: network, bits };
}

/** Whether `address` (a peer's or a header entry's) is in one of `ranges`; never for a non-address. */
export function inRanges(address: string, ranges: readonly AddressRange[]): boolean {
  const groups = addressGroups(address);
  if (groups === undefined) return false;
  return ranges.some((r) => maskGroups(groups, r.bits).every((g, i) => g === r.groups[i]));
}

/**
 * The address a request from `peer` is counted against, given its `X-Forwarded-For` (null when absent):
 * `peer` itself unless it is one of `trusted`; else the header's right-most entry that is not trusted.
 * An entry is an IP address, an IPv4 one with a port (`203.0.113.7:51234`, as Azure Application Gateway
 * appends it) or an IPv6 one in brackets, with a port or without (`[2001:db8::1]:443`, `[2001:db8::1]`); the
 * port is dropped (`forwardedEntryAddress`). A header missing, empty, or with anything else where it is read
 * gives `peer`: the proxy did not say who its client was, so the request counts against the proxy's own
 * address (one bucket for all such requests, as before this flag). Every entry trusted (a client on a proxy's
 * own host) gives the left-most, the address the first proxy saw.
 */
export function forwardedClient(
  peer: string,
  forwardedFor: string | null,
  trusted: readonly AddressRange[],
): string {
  if (forwardedFor === null || !inRanges(peer, trusted)) return peer;
  // Entry by entry from the right, up to the first untrusted one: what a client wrote to its left is never
  // looked at. Splitting the whole header cost every request, a refused one included, time in proportion to
  // it: 0.8 ms for the 64 kB Deno takes (a client behind Caddy may send that much), against 0.05 ms for a
  // proxy's few entries.
  for (let end = forwardedFor.length;;) {
    const comma = end === 0 ? -1 : forwardedFor.lastIndexOf(",", end - 1);
    const address = forwardedEntryAddress(forwardedFor.slice(comma + 1, end).trim());
    if (address === undefined) return peer;
    // The left-most entry, every one trusted, is the address the first proxy saw.
    if (!inRanges(address, trusted) || comma < 0) return address;
    end = comma;
  }
}

/** A port as a URL or a socket address writes it: 0–65535, in decimal. */
const isPort = (text: string) => /^\d{1,5}$/.test(text) && Number(text) <= 65535;

/**
 * The address an `X-Forwarded-For` entry names, without its port; undefined for anything else. IPv6 with a
 * port only in brackets (RFC 3986's form, the one nginx's realip reads): unbracketed, `2001:db8::1:443` is
 * itself an IPv6 address (`2001:db8:0:0:0:0:1:443`) and no rule could tell it from `2001:db8::1` on port 443,
 * so it is read as the address it spells. That one is in the same /64, the rate limit's client, as the one
 * its writer may have meant.
 */
export function forwardedEntryAddress(entry: string): string | undefined {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    const inner = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    // Brackets are for IPv6 (a colon inside): `[203.0.113.7]` is no form any proxy writes.
    const portOk = rest === "" || (rest.startsWith(":") && isPort(rest.slice(1)));
    return close > 0 && inner.includes(":") && portOk ? address(inner) : undefined;
  }
  const colon = entry.indexOf(":");
  // One colon: an IPv4 address and its port. More: an IPv6 address (above), read whole.
  if (colon !== -1 && colon === entry.lastIndexOf(":")) {
    const host = entry.slice(0, colon);
    return isPort(entry.slice(colon + 1)) && ipv4Octets(host) !== undefined ? host : undefined;
  }
  return address(entry);
}

/** `text` when it is an IP address, a zoned IPv6 one included; undefined otherwise. */
const address = (text: string) => addressGroups(text) !== undefined || isZoned(text) ? text : undefined;

/** An IPv6 address with a zone id: an address (a client's link-local one), though never a trusted one. */
const isZoned = (entry: string) =>
  entry.includes("%") && ipv6Groups(entry.slice(0, entry.indexOf("%"))) !== undefined;
