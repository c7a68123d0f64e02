/**
 * The client `--rate-limit` counts a remote address against (`clientKey`).
 *
 * An IPv4 address is one client. An IPv6 address is not: a site is normally given a whole /64 (2^64
 * addresses, SLAAC and privacy extensions pick new ones within it at will), so a client keyed per address
 * could rotate through as many buckets as it liked, and fill the bounded client table to push everyone else's
 * out. The /64 is what one site holds, so it is the client, as one IPv4 address is (the hosts of one /64, like
 * those behind one IPv4 NAT, share a bucket). Where sites are given more (a /56, a /48 to each customer) or
 * one /64 is shared by unrelated hosts (some clouds' subnets), `--rate-limit-ipv6-prefix` sets the bits.
 *
 * A pure parser, not `node:net`'s `isIP`: that says whether an address is valid, not what its /64 is, and
 * the forms to read (`::` compression, a zone id, an IPv4 tail) are few.
 */

/** The four octets of a dotted IPv4 address, or undefined for anything else (a leading zero included). */
export function ipv4Octets(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    // A leading zero is refused, as inet_pton does: `010` is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    octets.push(octet);
  }
  return octets;
}

/** One side of a `::` (or a whole uncompressed address) as 16-bit groups; a dotted tail is two groups. */
function groupsOf(side: string, ipv4TailAllowed: boolean): number[] | undefined {
  if (side === "") return [];
  const parts = side.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (ipv4TailAllowed && i === parts.length - 1 && part.includes(".")) {
      const octets = ipv4Octets(part);
      if (octets === undefined) return undefined;
      groups.push((octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** The eight 16-bit groups of an IPv6 address without its zone, or undefined if it is not one. */
export function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const groups = groupsOf(text, true);
    return groups?.length === 8 ? groups : undefined;
  }
  const head = groupsOf(halves[0], false);
  const tail = groupsOf(halves[1], true);
  if (head === undefined || tail === undefined) return undefined;
  // `::` stands for at least one group of zeros.
  const zeros = 8 - head.length - tail.length;
  if (zeros < 1) return undefined;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

/** The IPv6 grouping `clientKey` uses without `--rate-limit-ipv6-prefix`: the /64 one site is given. */
export const DEFAULT_IPV6_PREFIX = 64;

/**
 * The key of the client at `address` (a socket's remote address): an IPv4 address as it is; an IPv4-mapped
 * IPv6 one (`::ffff:203.0.113.5`, what a dual-stack listener reports for an IPv4 client) as that IPv4
 * address, so it shares the plain IPv4 client's bucket (and so is a NAT64 one, `64:ff9b::203.0.113.5`); any
 * other IPv6 address as its network of `ipv6Prefix` bits (1–128, default 64: `2001:db8:0:1::/64`), written
 * the same whatever form it came in (compressed or not, either case). A zone id (`fe80::1%eth0`) stays in the
 * key: every link has the same `fe80::/64`, and the zone says which link, so neighbours on two networks are
 * two clients. Anything else (not an IP address) is its own key, unchanged.
 */
export function clientKey(address: string, ipv6Prefix: number = DEFAULT_IPV6_PREFIX): string {
  if (!address.includes(":")) return address;
  const zoneAt = address.indexOf("%");
  const zone = zoneAt === -1 ? "" : address.slice(zoneAt);
  const groups = ipv6Groups(zoneAt === -1 ? address : address.slice(0, zoneAt));
  if (groups === undefined) return address;
  // ::ffff:0:0/96: 80 zero bits, 16 one bits, then the IPv4 address (which has no zone). And NAT64's
  // well-known 64:ff9b::/96 (RFC 6052), whose clients are IPv4 hosts: behind a translator (SIIT-DC), as one
  // /64 they would all be one client.
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (mapped || nat64) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  // The groups the prefix reaches, its last one masked; `::` for the rest (none left at /128). At /64 this
  // is the key serve always used (`2001:db8:0:1::/64`).
  const kept = Math.ceil(ipv6Prefix / 16);
  const network = maskGroups(groups, ipv6Prefix).slice(0, kept).map((g) => g.toString(16)).join(":");
  return `${network}${kept < 8 ? "::" : ""}/${ipv6Prefix}${zone}`;
}

/** `groups` (eight 16-bit IPv6 groups) with every bit past the first `bits` cleared. */
export function maskGroups(groups: readonly number[], bits: number): number[] {
  return groups.map((g, i) => {
    const kept = Math.min(16, Math.max(0, bits - 16 * i));
    return kept === 0 ? 0 : g & (0xffff << (16 - kept)) & 0xffff;
  });
}
