import assert from "node:assert/strict";
import { clientKey, ipv6Groups } from "./client_address.ts";

Deno.test("clientKey: an IPv4 address is its own client", () => {
  assert.equal(clientKey("203.0.113.5"), "203.0.113.5");
  assert.equal(clientKey("127.0.0.1"), "127.0.0.1");
  assert.notEqual(clientKey("203.0.113.5"), clientKey("203.0.113.6"));
});

Deno.test("clientKey: an IPv6 address is keyed by its /64, whatever form it is written in", () => {
  const key = "2001:db8:0:0::/64";
  for (
    const form of [
      "2001:db8::1",
      "2001:DB8::1",
      "2001:0db8:0000:0000:0000:0000:0000:0001",
      "2001:db8:0:0:ffff:ffff:ffff:ffff",
      "2001:db8::",
      "2001:db8::dead:beef:1:2",
      "2001:db8:0:0:1::",
    ]
  ) assert.equal(clientKey(form), key, form);
  assert.equal(clientKey("2001:db8:85a3:8d3:1319:8a2e:370:7348"), "2001:db8:85a3:8d3::/64");
  assert.equal(clientKey("2a00:1450:4001:82b::200e"), "2a00:1450:4001:82b::/64");
});

Deno.test("clientKey: addresses in different /64s are different clients, even in one /48", () => {
  assert.notEqual(clientKey("2001:db8:0:1::1"), clientKey("2001:db8:0:2::1"));
  assert.notEqual(clientKey("2001:db8:1::1"), clientKey("2001:db8:2::1"));
  assert.notEqual(clientKey("2001:db8::1"), clientKey("2001:db9::1"));
});

Deno.test("clientKey: an IPv4-mapped address is the IPv4 client, in its dotted and its hex form", () => {
  for (
    const form of [
      "::ffff:203.0.113.5",
      "::FFFF:203.0.113.5",
      "::ffff:cb00:7105",
      "0:0:0:0:0:ffff:203.0.113.5",
      "0000:0000:0000:0000:0000:ffff:cb00:7105",
    ]
  ) assert.equal(clientKey(form), "203.0.113.5", form);
  // Not /64s: two mapped clients are as separate as the IPv4 ones (all of ::ffff:0:0/96 is one /64).
  assert.notEqual(clientKey("::ffff:203.0.113.5"), clientKey("::ffff:203.0.113.6"));
  // Only ::ffff:0:0/96 is: the obsolete IPv4-translated ::ffff:0:0:0/96 is IPv6 (the ::/64).
  assert.equal(clientKey("::ffff:0:203.0.113.5"), "0:0:0:0::/64");
});

Deno.test("clientKey: NAT64's well-known 64:ff9b::/96 is its IPv4 client, not one /64 for every IPv4 host", () => {
  assert.equal(clientKey("64:ff9b::203.0.113.5"), "203.0.113.5");
  assert.equal(clientKey("64:ff9b::cb00:7105"), "203.0.113.5");
  assert.notEqual(clientKey("64:ff9b::203.0.113.5"), clientKey("64:ff9b::203.0.113.6"));
  // Outside the /96 it is an IPv6 address like any other.
  assert.equal(clientKey("64:ff9b:1::203.0.113.5"), "64:ff9b:1:0::/64");
});

Deno.test("clientKey: loopback ::1 is the ::/64, apart from IPv4's 127.0.0.1", () => {
  assert.equal(clientKey("::1"), "0:0:0:0::/64");
  assert.equal(clientKey("0:0:0:0:0:0:0:1"), "0:0:0:0::/64");
  assert.notEqual(clientKey("::1"), clientKey("127.0.0.1"));
});

Deno.test("clientKey: a zone id is kept, as the link a link-local /64 is on; the interface id is not", () => {
  assert.equal(clientKey("fe80::1%eth0"), "fe80:0:0:0::/64%eth0");
  assert.equal(clientKey("fe80::1%eth0"), clientKey("fe80::abcd:ef01:2345:6789%eth0"));
  // Every link has fe80::/64: hosts on two links are two clients.
  assert.notEqual(clientKey("fe80::1%eth0"), clientKey("fe80::1%eth1"));
  assert.equal(clientKey("fe80::1%2"), "fe80:0:0:0::/64%2");
  // An IPv4-mapped address has no zone to keep.
  assert.equal(clientKey("::ffff:203.0.113.5%eth0"), "203.0.113.5");
});

Deno.test("clientKey: what is not an IP address is its own key, unchanged (never merged into a /64)", () => {
  for (
    const text of [
      "unknown",
      "",
      ":",
      ":::",
      "1::2::3",
      "2001:db8::12345",
      "2001:db8::g",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4::5:6:7:8",
      ":1:2:3:4:5:6:7",
      "::ffff:203.0.113.256",
      "::ffff:203.0.113",
      "::ffff:203.0.113.05",
      "::1.2.3.4:5",
    ]
  ) assert.equal(clientKey(text), text, JSON.stringify(text));
});

Deno.test("ipv6Groups: `::` fills at least one group; a dotted tail is two groups", () => {
  assert.deepEqual(ipv6Groups("::"), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(ipv6Groups("1:2:3:4:5:6:7::"), [1, 2, 3, 4, 5, 6, 7, 0]);
  assert.deepEqual(ipv6Groups("::2:3:4:5:6:7:8"), [0, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(ipv6Groups("1:2:3:4:5:6:1.2.3.4"), [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
  assert.equal(ipv6Groups("1:2:3:4:5:6:7:8::"), undefined);
  // A dotted part anywhere but last is not IPv6.
  assert.equal(ipv6Groups("1.2.3.4::"), undefined);
});

Deno.test("clientKey: the IPv6 prefix sets how much of an address is one client (--rate-limit-ipv6-prefix)", () => {
  // The default is /64, as before the flag.
  assert.equal(clientKey("2001:db8:0:1::1", 64), clientKey("2001:db8:0:1::1"));
  // /48: one customer's allocation, every /64 in it one client.
  assert.equal(clientKey("2001:db8:aa:1::1", 48), "2001:db8:aa::/48");
  assert.equal(clientKey("2001:db8:aa:ffff:1::1", 48), "2001:db8:aa::/48");
  assert.notEqual(clientKey("2001:db8:aa::1", 48), clientKey("2001:db8:ab::1", 48));
  // /56, not on a group boundary: the last group kept is masked.
  assert.equal(clientKey("2001:db8:aa:12ff::1", 56), "2001:db8:aa:1200::/56");
  assert.equal(clientKey("2001:db8:aa:1200::1", 56), clientKey("2001:DB8:AA:12AB:ffff::1", 56));
  assert.notEqual(clientKey("2001:db8:aa:1200::1", 56), clientKey("2001:db8:aa:1300::1", 56));
  // /128: each address its own client, in one form whatever form it came in.
  assert.equal(clientKey("2001:db8::1", 128), "2001:db8:0:0:0:0:0:1/128");
  assert.equal(clientKey("2001:0DB8:0:0:0:0:0:0001", 128), "2001:db8:0:0:0:0:0:1/128");
  assert.notEqual(clientKey("2001:db8::1", 128), clientKey("2001:db8::2", 128));
  // /1 and /127: the extremes.
  assert.equal(clientKey("2001:db8::1", 1), "0::/1");
  assert.equal(clientKey("8001:db8::1", 1), "8000::/1");
  assert.equal(clientKey("2001:db8::3", 127), clientKey("2001:db8::2", 127));
  // Neither IPv4, IPv4-mapped nor a zone id is touched by the prefix.
  assert.equal(clientKey("203.0.113.5", 48), "203.0.113.5");
  assert.equal(clientKey("::ffff:203.0.113.5", 48), "203.0.113.5");
  assert.equal(clientKey("fe80::1%eth0", 48), "fe80:0:0::/48%eth0");
});
