/**
 * Opens `count` connections to a server that each send a request head without its final blank line and then
 * stall, holds them for `holdMs`, then closes them all: the idle-connection attack of issue 13.1. Prints
 * how many connected. The client needs `count` descriptors of its own (raise `ulimit -n`, or run several).
 *
 *   deno run --allow-net bench/serve/stall.ts PORT COUNT HOLD_MS
 */
const [port, count, holdMs] = Deno.args.map(Number);
if (!(port > 0 && count > 0 && holdMs >= 0)) {
  console.error("usage: deno run --allow-net bench/serve/stall.ts PORT COUNT HOLD_MS");
  Deno.exit(2);
}
const head = new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n");
const conns: Deno.Conn[] = [];
let failed = 0;
const started = performance.now();
await Promise.all(Array.from({ length: 100 }, async (_, w) => {
  for (let i = w; i < count; i += 100) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      conn.write(head).catch(() => {});
    } catch {
      failed++;
    }
  }
}));
console.log(
  JSON.stringify({
    event: "stalled",
    connected: conns.length,
    failed,
    ms: Math.round(performance.now() - started),
  }),
);
await new Promise((resolve) => setTimeout(resolve, holdMs));
for (const conn of conns) {
  try {
    conn.close();
  } catch { /* already closed by the server */ }
}
console.log(JSON.stringify({ event: "released", at: new Date().toISOString() }));
