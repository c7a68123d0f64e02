/**
 * `serve --trusted-proxies`: behind a reverse proxy (nginx, Caddy) every request comes from the proxy's
 * address, so `--rate-limit` would put every client in one bucket. When the socket's peer is a proxy the
 * operator named, the client is read from the header the proxies built instead: `X-Forwarded-For`, or RFC
 * 7239's `Forwarded` with `--proxy-header forwarded` (one of them, never both: `PROXY_HEADERS`).
 *
 * The header is read from the right: each proxy appends the address it was connected from, so the entries
 * written by trusted proxies are at the end, and whatever the client sent itself is to their left. The first
 * entry from the right that is not a trusted proxy is the client (nginx's `real_ip_recursive`, the
 * "rightmost untrusted" rule): a client that sends `X-Forwarded-For: 1.2.3.4` gets `1.2.3.4, <its address>`
 * and is still counted as its address. The left-most entry is never taken on its own, since anyone can write
 * it. A peer that is not trusted is the client, and its header is never read.
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
 * The header a trusted proxy names its client in (`serve --proxy-header`): one, the operator's choice, never
 * both. A proxy passes the other on as the client wrote it (nginx and Caddy write `X-Forwarded-For` and leave
 * a client's `Forwarded` alone; HAProxy with `option forwarded` alone, the reverse), so reading whichever is
 * present, or preferring one, would let a client name its own bucket behind some proxy. nginx's
 * `real_ip_header` and Caddy's `client_ip_headers` are told the same way: the operator names it.
 */
export const PROXY_HEADERS = ["x-forwarded-for", "forwarded"] as const;
export type ProxyHeader = typeof PROXY_HEADERS[number];

/**
 * The address a request from `peer` is counted against, given the value of its `header` (null when absent;
 * several lines of it joined by commas, as `Headers.get` does): `peer` itself unless it is one of `trusted`;
 * else the header's right-most entry that is not trusted.
 *
 * An `X-Forwarded-For` entry is an IP address, an IPv4 one with a port (`203.0.113.7:51234`, as Azure
 * Application Gateway appends it) or an IPv6 one in brackets, with a port or without (`[2001:db8::1]:443`,
 * `[2001:db8::1]`); the port is dropped (`forwardedEntryAddress`). A `Forwarded` element is RFC 7239's
 * `for=…;proto=…;by=…`, of which `for` is read (`forwardedElementAddress`).
 *
 * A header missing, empty, or with anything else where it is read gives `peer`: the proxy did not say who its
 * client was, so the request counts against the proxy's own address (one bucket for all such requests, as
 * before this flag). So does a `Forwarded` hop whose client is `unknown` or obfuscated (`for=_hidden`): the
 * walk stops there, since what is to its left was written by whoever the proxy would not name. Every entry
 * trusted (a client on a proxy's own host) gives the left-most, the address the first proxy saw.
 */
export function forwardedClient(
  peer: string,
  value: string | null,
  trusted: readonly AddressRange[],
  header: ProxyHeader = "x-forwarded-for",
): string {
  if (value === null || !inRanges(peer, trusted)) return peer;
  const forwarded = header === "forwarded";
  // Entry by entry from the right, up to the first untrusted one: what a client wrote to its left is never
  // looked at. Splitting the whole header cost every request, a refused one included, time in proportion to
  // it: 0.8 ms for the 64 kB Deno takes (a client behind Caddy may send that much), against 0.05 ms for a
  // proxy's few entries.
  for (let end = value.length;;) {
    // (lastIndexOf from -1 looks at index 0: at the start there is no comma left.)
    const comma = forwarded
      ? previousElementComma(value, end)
      : end === 0
      ? -1
      : value.lastIndexOf(",", end - 1);
    if (comma === undefined) return peer;
    const entry = value.slice(comma + 1, end).trim();
    const address = forwarded ? forwardedElementAddress(entry) : forwardedEntryAddress(entry);
    if (address === undefined) return peer;
    // The left-most entry, every one trusted, is the address the first proxy saw.
    if (!inRanges(address, trusted) || comma < 0) return address;
    end = comma;
  }
}

/**
 * The index of the comma before `end` in a `Forwarded` value that is not inside a quoted string (-1: none;
 * undefined: a quote left open). Walked from the right, like `X-Forwarded-For`, so what a client wrote to the
 * left of its proxy's element is never parsed: its open quote cannot swallow the proxy's element (the
 * "sabotage" a left-to-right parse allows). No escapes are followed: a `for` node never holds one, and a
 * quoted string with a backslash is refused where it is read (`forwardedElementAddress`).
 */
function previousElementComma(value: string, end: number): number | undefined {
  for (let i = end - 1; i >= 0; i--) {
    if (value[i] === ",") return i;
    if (value[i] === '"') {
      i = value.lastIndexOf('"', i - 1);
      if (i === -1) return undefined;
    }
  }
  return -1;
}

/**
 * One `name=value` pair of a `Forwarded` element (or none: RFC 7239 allows `;;`), then `;` or the end: a name
 * is RFC 7230's token, a value a token or a quoted string. A quoted value with a backslash is not matched:
 * nothing a proxy writes in one needs an escape.
 */
const PAIR = /[ \t]*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)=([!#$%&'*+.^_`|~0-9A-Za-z-]+|"[^"\\]*"))?[ \t]*(;|$)/y;
/** RFC 7239 § 6.3's obfuscated identifier, of a node (`_hidden`) or of a port (`_p1`). */
const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;

/**
 * The client address one `Forwarded` element names in its `for` parameter, without its port; undefined when
 * it names none: no `for` (a hop that did not say), two of them (RFC 7239 allows one), `for=unknown` or an
 * obfuscated `_name`, or anything that is not RFC 7239's syntax: an IPv6 address in brackets, and quoted
 * when it or a port is given (`for="[2001:db8:cafe::17]:4711"`, `for="192.0.2.43:47011"`).
 */
export function forwardedElementAddress(element: string): string | undefined {
  let node: string | undefined;
  PAIR.lastIndex = 0;
  for (;;) {
    const pair = PAIR.exec(element);
    if (pair === null) return undefined;
    const [, name, value, separator] = pair;
    if (name?.toLowerCase() === "for") {
      if (node !== undefined) return undefined;
      node = value;
    }
    if (separator === "") break;
  }
  if (node === undefined) return undefined;
  // A token cannot hold `:`, `[` or `]` (PAIR): an address in brackets, or one with a port, comes quoted.
  const text = node.startsWith('"') ? node.slice(1, -1) : node;
  const parts = /^(\[[^\]]*\]|[^:[\]]*)(?::(.*))?$/.exec(text);
  if (parts === null) return undefined;
  const [, name, port] = parts;
  if (port !== undefined && !OBFUSCATED.test(port) && !isPort(port)) return undefined;
  if (name.startsWith("[")) {
    const inner = name.slice(1, -1);
    return inner.includes(":") ? address(inner) : undefined;
  }
  // `unknown` and `_hidden`: the proxy would not say who its client was.
  if (name.toLowerCase() === "unknown" || OBFUSCATED.test(name)) return undefined;
  return ipv4Octets(name) === undefined ? undefined : name;
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
