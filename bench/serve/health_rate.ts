/**
 * GET /health against a running serve on 127.0.0.1:PORT from `CONCURRENCY` keep-alive connections for SECONDS:
 * requests/s and p50/p99 latency (ms). The listener's own cost per request, with no model call; used to check
 * that a listener change costs nothing (bench/RESULTS.md, "Pipelined requests its client never reads").
 *
 *   deno run -A bench/serve/health_rate.ts PORT [SECONDS=4] [CONCURRENCY=16]
 */
import { HttpConnection, rawRequest } from "./http_client.ts";

const port = Number(Deno.args[0]);
const seconds = Number(Deno.args[1] ?? 4);
const concurrency = Number(Deno.args[2] ?? 16);
const request = rawRequest("GET", "/health");
const latencies: number[] = [];
const end = performance.now() + seconds * 1000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  const connection = await HttpConnection.open("127.0.0.1", port);
  while (performance.now() < end) {
    const t = performance.now();
    await connection.send(request);
    latencies.push(performance.now() - t);
  }
  connection.close();
}));
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))].toFixed(3);
console.log(`${(latencies.length / seconds).toFixed(0)} req/s p50 ${at(0.5)} p99 ${at(0.99)}`);
