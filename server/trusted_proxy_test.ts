import assert from "node:assert/strict";
import { type AddressRange, forwardedClient, inRanges, parseAddressRange } from "./trusted_proxy.ts";

/** `forwardedClient` reading `Forwarded` (`serve --proxy-header forwarded`). */
const viaForwarded = (peer: string, value: string | null, trusted: readonly AddressRange[]) =>
  forwardedClient(peer, value, trusted, "forwarded");

function ranges(...texts: string[]): AddressRange[] {
  return texts.map((text) => {
    const range = parseAddressRange(text);
    if ("problem" in range) throw new Error(range.problem);
    return range;
  });
}

const problemOf = (text: string) => {
  const range = parseAddressRange(text);
  return "problem" in range ? range.problem : null;
};

Deno.test("parseAddressRange: addresses and CIDR ranges, IPv4 and IPv6, in any form", () => {
  assert.deepEqual(ranges("10.0.0.0/8")[0], {
    text: "10.0.0.0/8",
    groups: [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0],
    bits: 104,
  });
  // An address alone is one host: /32 or /128.
  assert.equal(ranges("127.0.0.1")[0].bits, 128);
  assert.equal(ranges("::1")[0].bits, 128);
  assert.equal(ranges(" 2001:db8::/32 ")[0].text, "2001:db8::/32");
  // Compressed or not, either case: one range.
  assert.deepEqual(ranges("2001:DB8:0:0:0:0:0:0/32")[0].groups, ranges("2001:db8::/32")[0].groups);
  // An IPv4-mapped range is the IPv4 one.
  assert.deepEqual(ranges("::ffff:10.0.0.0/104")[0].groups, ranges("10.0.0.0/8")[0].groups);
  assert.equal(ranges("::ffff:10.0.0.0/104")[0].bits, ranges("10.0.0.0/8")[0].bits);
});

Deno.test("parseAddressRange: what is not an address or range says so, with what to write", () => {
  for (
    const text of [
      "proxy.internal",
      "",
      "10.0.0",
      "010.0.0.1",
      "10.0.0.256/8",
      "1::2::3",
      "[::1]",
      "10.0.0.1:80",
    ]
  ) {
    assert.match(problemOf(text) ?? "", /is not an IP address or CIDR range \(e\.g\. 127\.0\.0\.1/, text);
  }
  for (
    const text of ["10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/08", "10.0.0.0/-1"]
  ) {
    assert.match(problemOf(text) ?? "", /the prefix length of an IPv[46] range is 1–(32|128)/, text);
  }
  assert.match(problemOf("0.0.0.0/0") ?? "", /trusts every address/);
  assert.match(problemOf("::/0") ?? "", /trusts every address/);
  assert.match(problemOf("10.0.0.1/8") ?? "", /bits set past its \/8: the range is 10\.0\.0\.0\/8/);
  assert.match(problemOf("2001:db8::1/32") ?? "", /the range is 2001:db8:0:0:0:0:0:0\/32/);
  assert.match(problemOf("fe80::1%eth0") ?? "", /zone id/);
});

Deno.test("inRanges: CIDR matching at any prefix, an IPv4-mapped peer as its IPv4 address", () => {
  const trusted = ranges("10.0.0.0/8", "192.168.1.7", "2001:db8:ab::/48", "fd00::1");
  for (
    const address of [
      "10.0.0.1",
      "10.255.255.255",
      "192.168.1.7",
      "::ffff:10.1.2.3", // a dual-stack socket's IPv4 peer
      "::ffff:a01:203", // the same, hex
      "::FFFF:192.168.1.7",
      "2001:db8:ab::1",
      "2001:db8:ab:ffff:ffff:ffff:ffff:ffff",
      "2001:0DB8:00AB:0000:0000:0000:0000:0001",
      "fd00::1",
      "fd00:0:0:0:0:0:0:1",
    ]
  ) assert.ok(inRanges(address, trusted), address);
  for (
    const address of [
      "11.0.0.1",
      "9.255.255.255",
      "192.168.1.8",
      "::ffff:11.0.0.1",
      "2001:db8:ac::1",
      "2001:db8:aa:ffff::1",
      "fd00::2",
      "fd00::1%eth0", // which link is not said by a range: never trusted
      "64:ff9b::10.0.0.1", // NAT64: an IPv4 host on the far side of a translator, not a local proxy
      "::10.0.0.1", // the deprecated IPv4-compatible form is IPv6, not 10.0.0.1
      "unknown",
      "",
    ]
  ) assert.ok(!inRanges(address, trusted), address);
  // A prefix that is not a multiple of 16 (or of 8).
  const odd = ranges("10.0.0.0/9", "2001:db8:8000::/33");
  assert.ok(inRanges("10.127.0.1", odd));
  assert.ok(!inRanges("10.128.0.1", odd));
  assert.ok(inRanges("2001:db8:ffff::1", odd));
  assert.ok(!inRanges("2001:db8:7fff::1", odd));
});

Deno.test("forwardedClient: a trusted proxy's header names the right-most untrusted address", () => {
  const trusted = ranges("10.0.0.0/8", "::1");
  assert.equal(forwardedClient("10.0.0.1", "203.0.113.5", trusted), "203.0.113.5");
  // A client that wrote its own entries is still the address the proxy appended.
  assert.equal(forwardedClient("10.0.0.1", "1.2.3.4, 203.0.113.5", trusted), "203.0.113.5");
  assert.equal(forwardedClient("10.0.0.1", "1.2.3.4,203.0.113.5", trusted), "203.0.113.5");
  // A chain of trusted proxies is walked past.
  assert.equal(
    forwardedClient("10.0.0.1", "1.2.3.4, 203.0.113.5, 10.0.0.2, 10.0.0.3", trusted),
    "203.0.113.5",
  );
  // Garbage to the left of the client (the client's own writing) is never read.
  assert.equal(forwardedClient("10.0.0.1", "not an address, 203.0.113.5", trusted), "203.0.113.5");
  assert.equal(forwardedClient("::1", "2001:db8::7", trusted), "2001:db8::7");
  assert.equal(forwardedClient("::ffff:10.0.0.1", "203.0.113.5", trusted), "203.0.113.5");
  assert.equal(forwardedClient("10.0.0.1", "fe80::7%eth0", trusted), "fe80::7%eth0");
  // Every hop trusted (a client on a proxy's own network): the left-most, whom the first proxy saw.
  assert.equal(forwardedClient("10.0.0.1", "10.0.0.9, 10.0.0.2", trusted), "10.0.0.9");
});

Deno.test("forwardedClient: a missing, empty or malformed header from a trusted proxy is the proxy's own address", () => {
  const trusted = ranges("10.0.0.0/8");
  for (
    const header of [
      null,
      "",
      " ",
      ",",
      "unknown", // what some proxies write for an unknown client
      "203.0.113.5:", // a colon without its port
      "203.0.113.5:65536",
      "203.0.113.5:-1",
      "203.0.113.5:80:80",
      "[203.0.113.5]", // brackets are for IPv6
      "[203.0.113.5]:80",
      "[2001:db8::7", // a bracket unclosed
      "2001:db8::7]:80",
      "[2001:db8::7]:",
      "[2001:db8::7]:99999",
      "[2001:db8::7]80",
      "[2001:db8::7]:80, 10.0.0.2:x", // a trusted hop's entry unreadable
      "[[2001:db8::7]]",
      "[]:80",
      "203.0.113.5, ", // an empty entry where the proxy's own should be
      "203.0.113.5, garbage, 10.0.0.2", // malformed where the trusted hops' are read
      "010.0.0.1",
    ]
  ) assert.equal(forwardedClient("10.0.0.1", header, trusted), "10.0.0.1", JSON.stringify(header));
});

Deno.test("forwardedClient: an entry with a port, or an IPv6 one in brackets, names its address", () => {
  // What real proxies write: Azure Application Gateway appends the client's port; IPv6 with a port is
  // bracketed (RFC 3986), and some write the brackets without one. These counted against the proxy before.
  const trusted = ranges("10.0.0.0/8", "2001:db8:ffff::/48");
  assert.equal(forwardedClient("10.0.0.1", "203.0.113.7:51234", trusted), "203.0.113.7");
  assert.equal(forwardedClient("10.0.0.1", "203.0.113.7:0", trusted), "203.0.113.7");
  assert.equal(forwardedClient("10.0.0.1", "203.0.113.7:65535", trusted), "203.0.113.7");
  assert.equal(forwardedClient("10.0.0.1", "[2001:db8::1]:443", trusted), "2001:db8::1");
  assert.equal(forwardedClient("10.0.0.1", "[2001:db8::1]", trusted), "2001:db8::1");
  assert.equal(forwardedClient("10.0.0.1", "[::ffff:203.0.113.7]:80", trusted), "::ffff:203.0.113.7");
  // Trusted hops with ports are walked past like plain ones.
  assert.equal(
    forwardedClient(
      "10.0.0.1",
      "1.2.3.4:1, 203.0.113.7:51234, 10.0.0.2:443, [2001:db8:ffff::2]:8443",
      trusted,
    ),
    "203.0.113.7",
  );
  // A bare IPv6 address with what looks like a port is read as the address it spells (eight groups).
  assert.equal(forwardedClient("10.0.0.1", "2001:db8::1:443", trusted), "2001:db8::1:443");
  assert.equal(forwardedClient("10.0.0.1", "[fe80::7%eth0]:80", trusted), "fe80::7%eth0");
});

Deno.test("forwardedClient: an untrusted peer is the client, whatever its header says", () => {
  const trusted = ranges("10.0.0.0/8");
  assert.equal(forwardedClient("203.0.113.5", "10.0.0.7", trusted), "203.0.113.5");
  assert.equal(forwardedClient("203.0.113.5", "198.51.100.1", trusted), "203.0.113.5");
  assert.equal(forwardedClient("203.0.113.5", "198.51.100.1", []), "203.0.113.5");
});

Deno.test("forwardedClient: a long header costs no more than its right-most entries", () => {
  // A client behind the proxy can send any number of entries to the left of the one the proxy appends; every
  // request (a refused one too) paid for splitting them all: ~100 ms for these 9 MB, 0.8 ms for Deno's 64 kB.
  const header = "1.2.3.4, ".repeat(1_000_000) + "10.0.0.1, 203.0.113.9, 10.0.0.2";
  const trusted = ranges("10.0.0.0/8");
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    assert.equal(forwardedClient("10.0.0.3", header, trusted), "203.0.113.9");
    fastest = Math.min(fastest, performance.now() - start);
  }
  assert.ok(
    fastest < 10,
    `${fastest.toFixed(1)} ms for a header whose client is its second entry from the right`,
  );
  // Every entry trusted: still the left-most, as before.
  assert.equal(forwardedClient("10.0.0.3", "10.0.0.9, 10.0.0.1 ,10.0.0.2", trusted), "10.0.0.9");
  assert.equal(forwardedClient("10.0.0.3", ",10.0.0.2", trusted), "10.0.0.3");
});

Deno.test("forwardedClient, Forwarded: RFC 7239's for= names the client, read from the right like X-Forwarded-For", () => {
  const trusted = ranges("10.0.0.0/8", "2001:db8:ffff::/48");
  // RFC 7239's own examples.
  assert.equal(viaForwarded("10.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43", trusted), "192.0.2.60");
  assert.equal(viaForwarded("10.0.0.1", 'for="[2001:db8:cafe::17]:4711"', trusted), "2001:db8:cafe::17");
  assert.equal(viaForwarded("10.0.0.1", 'For="[2001:db8:cafe::17]"', trusted), "2001:db8:cafe::17");
  assert.equal(viaForwarded("10.0.0.1", 'for="192.0.2.43:47011"', trusted), "192.0.2.43");
  assert.equal(viaForwarded("10.0.0.1", 'for="192.0.2.43"', trusted), "192.0.2.43");
  assert.equal(viaForwarded("10.0.0.1", 'for="192.0.2.43:_p1"', trusted), "192.0.2.43");
  assert.equal(viaForwarded("10.0.0.1", "proto=https; for=192.0.2.43 ;;by=_proxy", trusted), "192.0.2.43");
  // Several elements, or several header lines (which Headers.get joins with ", "): the right-most untrusted.
  assert.equal(
    viaForwarded(
      "10.0.0.1",
      'for=198.51.100.1, for=192.0.2.43;proto=https, for="[2001:db8:ffff::2]:443"',
      trusted,
    ),
    "192.0.2.43",
  );
  assert.equal(viaForwarded("10.0.0.1", "for=192.0.2.43, for=10.0.0.2", trusted), "192.0.2.43");
  // A client's own element, with a comma and an open quote in it, is never parsed: it cannot swallow the
  // element its proxy appended.
  assert.equal(viaForwarded("10.0.0.1", 'for="198.51.100.1, x=", for=192.0.2.43', trusted), "192.0.2.43");
  assert.equal(viaForwarded("10.0.0.1", 'for="[, for=192.0.2.43', trusted), "192.0.2.43");
  // A quoted value with a comma or a semicolon inside, from a trusted hop, is one value.
  assert.equal(viaForwarded("10.0.0.1", 'for=192.0.2.43, for=10.0.0.2;ext="a, b; c"', trusted), "192.0.2.43");
  // Every hop trusted: the left-most.
  assert.equal(viaForwarded("10.0.0.1", "for=10.0.0.9, for=10.0.0.2", trusted), "10.0.0.9");
  // An untrusted peer's header is never read.
  assert.equal(viaForwarded("203.0.113.5", "for=192.0.2.43", trusted), "203.0.113.5");
});

Deno.test("forwardedClient, Forwarded: an unknown or hidden client stops the walk; the request is the proxy's", () => {
  const trusted = ranges("10.0.0.0/8");
  for (
    const header of [
      "for=unknown",
      "for=UNKNOWN",
      "for=192.0.2.43, for=unknown", // not skipped to read what the hidden client wrote to its left
      "for=192.0.2.43, for=_hidden",
      'for=192.0.2.43, for="_hidden:_p1"',
      'for=192.0.2.43, for="unknown:80"',
    ]
  ) assert.equal(viaForwarded("10.0.0.1", header, trusted), "10.0.0.1", header);
});

Deno.test("forwardedClient, Forwarded: a missing, empty or malformed element where it is read is the proxy's", () => {
  const trusted = ranges("10.0.0.0/8");
  for (
    const header of [
      null,
      "",
      "for=192.0.2.43, ", // an empty element where the proxy's own should be
      "proto=https;by=10.0.0.2", // a hop that did not say for whom
      "for=192.0.2.43;for=198.51.100.1", // for twice in one element
      "for=[2001:db8::1]", // brackets and ports must be quoted
      "for=192.0.2.43:80",
      'for="2001:db8::1"', // an IPv6 address must be bracketed
      'for="[192.0.2.43]"',
      'for="192.0.2.43:99999"',
      'for="192.0.2.43:"',
      'for="[2001:db8::1]:"',
      'for="[2001:db8::1',
      'for="192.0.2.43', // a quote left open
      'for=192.0.2.43"',
      'for="192.0.2.43\\"',
      'for="\\192.0.2.43"', // an escape, which no proxy needs
      "for=192.0.2.43 proto=https",
      "for =192.0.2.43",
      "192.0.2.43", // X-Forwarded-For's form
      "for=not-an-address",
      "for=",
      'for=""',
      "for=192.0.2.43, for=10.0.0.2;x", // malformed where a trusted hop is read
    ]
  ) assert.equal(viaForwarded("10.0.0.1", header, trusted), "10.0.0.1", JSON.stringify(header));
  // X-Forwarded-For is not read when Forwarded is the header, nor the reverse: each is a different value.
  assert.equal(forwardedClient("10.0.0.1", "for=192.0.2.43", trusted), "10.0.0.1");
});

Deno.test("forwardedClient, Forwarded: a long header costs no more than its right-most elements", () => {
  const header = 'for=1.2.3.4;ext="a, b", '.repeat(400_000) + "for=203.0.113.9, for=10.0.0.2";
  const trusted = ranges("10.0.0.0/8");
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    assert.equal(viaForwarded("10.0.0.3", header, trusted), "203.0.113.9");
    fastest = Math.min(fastest, performance.now() - start);
  }
  assert.ok(
    fastest < 10,
    `${fastest.toFixed(1)} ms for a header whose client is its second element from the right`,
  );
});
