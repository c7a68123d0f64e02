import assert from "node:assert/strict";
import { readTrainingCsv } from "../../features/index.ts";
import { faultsAt, seriesSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import { CommandError } from "../errors.ts";
import { BinanceClient, BinanceError, DEFAULT_RETRY_POLICY, describe, headerTime } from "./binance_client.ts";
import { ManualClock } from "./clock.ts";
import { type CollectOptions, runCollect } from "./index.ts";
import { assertSameCandles, type Rig, utcMs, withRig } from "../../test/collect_rig.ts";

// 2496 synthetic hours from 2022-01-01 to 2022-04-15, the range's end: three pages; the clock sits well after
// them. (A range the exchange's data stops short of takes one more request, which finds nothing, and says so.)
const ROWS = syntheticKlines("1h", utcMs("2022-01-01"), 2496, { seed: 11 });
const OTHER = syntheticKlines("1h", utcMs("2022-01-01"), 2496, { seed: 12, price: 5 });
const source = seriesSource({ AAAUSDT: { "1h": ROWS }, BBBUSDT: { "1h": OTHER } });
const AFTER = "2023-01-01";

function options(rig: Rig, symbols = ["AAAUSDT"]): CollectOptions {
  return {
    source: "binance",
    symbols,
    interval: "1h",
    window: { kind: "dates", startDate: "2022-01-01", endDate: "2022-04-15" },
    baseUrl: rig.server.url,
    output: rig.output,
  };
}

async function collectsEverything(rig: Rig): Promise<void> {
  const report = await runCollect(options(rig), rig.env);
  const [written] = await readTrainingCsv(rig.output);
  assertSameCandles(written, ROWS);
  assert.equal(report.collected, ROWS.length);
}

Deno.test("binance: 429 waits Retry-After, then carries on", () =>
  withRig(
    AFTER,
    { source, fault: faultsAt({ 2: { kind: "status", status: 429, retryAfter: 7 } }) },
    async (rig) => {
      await collectsEverything(rig);
      assert.deepEqual(rig.clock.sleeps, [7000]);
      assert.deepEqual(rig.server.log.map((r) => r.status), [200, 429, 200, 200]);
      assert.match(rig.env.notices[0], /AAAUSDT 1h: HTTP 429: rate limited; retry 2\/5 in 7\.0 s/);
    },
  ));

Deno.test("binance: 418 waits Retry-After when short, ends the run when it is a long ban", async () => {
  await withRig(
    AFTER,
    { source, fault: faultsAt({ 1: { kind: "status", status: 418, retryAfter: 3 } }) },
    async (rig) => {
      await collectsEverything(rig);
      assert.deepEqual(rig.clock.sleeps, [3000]);
    },
  );
  await withRig(
    AFTER,
    { source, fault: faultsAt({ 3: { kind: "status", status: 418, retryAfter: 7200 } }) },
    async (rig) => {
      await assert.rejects(runCollect(options(rig), rig.env), (error: CommandError) => {
        assert.match(error.message, /^AAAUSDT 1h: Binance asks to wait 7200 s \(HTTP 418: IP banned/);
        assert.match(error.hint!, /2000 candles fetched were written/);
        return true;
      });
      const [written] = await readTrainingCsv(rig.output);
      assertSameCandles(written, ROWS.slice(0, 2000));
      assert.deepEqual(rig.clock.sleeps, []);
    },
  );
});

Deno.test("binance: 5xx are retried with capped exponential backoff", () =>
  withRig(AFTER, {
    source,
    fault: faultsAt({
      1: { kind: "status", status: 500 },
      2: { kind: "status", status: 502, body: "<html>Bad Gateway</html>" },
      3: { kind: "status", status: 503 },
    }),
  }, async (rig) => {
    rig.env.retry = { baseDelayMs: 1000, maxDelayMs: 3000 };
    await collectsEverything(rig);
    assert.deepEqual(rig.clock.sleeps, [1000, 2000, 3000]);
    assert.match(
      rig.env.notices[0],
      /HTTP 500: Internal error; unable to process your request\. Please try again\. \(code -1001\)/,
    );
  }));

Deno.test("binance: a dropped connection (before or during the body) and a truncated body are retried", () =>
  withRig(AFTER, {
    source,
    fault: faultsAt({ 1: { kind: "drop" }, 3: { kind: "drop", afterBytes: 5000 }, 5: { kind: "truncate" } }),
  }, async (rig) => {
    await collectsEverything(rig);
    assert.deepEqual(rig.server.log.map((r) => r.status), ["dropped", 200, "dropped", 200, 200, 200]);
    assert.equal(rig.clock.sleeps.length, 3);
    assert.match(rig.env.notices[0], /network error/);
    assert.match(rig.env.notices[1], /connection dropped while reading the response/);
    assert.match(rig.env.notices[2], /not complete JSON .*truncated/);
  }));

Deno.test("binance: an HTML page where klines were expected is retried, and named as HTML, not truncated JSON", () =>
  withRig(AFTER, {
    source,
    fault: faultsAt({ 1: { kind: "status", status: 200, body: "<html>Down for maintenance</html>" } }),
  }, async (rig) => {
    await collectsEverything(rig);
    assert.match(
      rig.env.notices[0],
      /the response is an HTML page, not JSON \(33 bytes: maintenance, or a proxy/,
    );
  }));

Deno.test("binance: giving up after bounded tries keeps every candle fetched; a re-run completes the file", () =>
  withRig(AFTER, {
    source,
    fault: (r) => (r.n >= 2 && r.n <= 6 ? { kind: "status", status: 503 } : undefined),
  }, async (rig) => {
    await assert.rejects(runCollect(options(rig), rig.env), (error: CommandError) => {
      assert.ok(error instanceof CommandError);
      assert.equal(
        error.message,
        `AAAUSDT 1h: gave up after 5 tries at ${rig.server.url}/api/v3/klines (HTTP 503: Internal error; unable to process your request. Please try again. (code -1001))`,
      );
      assert.match(
        error.hint!,
        /the same command later completes the file.*1000 candles fetched were written/,
      );
      return true;
    });
    assert.equal(rig.server.log.length, 6);
    const [partial] = await readTrainingCsv(rig.output);
    assertSameCandles(partial, ROWS.slice(0, 1000));
    // Resume: the same command again merges the rest in, with nothing duplicated.
    await collectsEverything(rig);
  }));

Deno.test("binance: an invalid symbol is a one-line error naming it; the other symbols are still collected", () =>
  withRig(AFTER, { source }, async (rig) => {
    await assert.rejects(
      runCollect(options(rig, ["AAAUSDT", "NOPEUSDT", "BBBUSDT"]), rig.env),
      (error: CommandError) => {
        assert.equal(error.message, "Binance rejected NOPEUSDT 1h: Invalid symbol. (code -1121)");
        assert.equal(error.exitCode, 1);
        return true;
      },
    );
    const written = await readTrainingCsv(rig.output);
    assert.deepEqual(written.map((s) => s.symbol), ["AAAUSDT", "BBBUSDT"]);
    assertSameCandles(written[1], OTHER);
    // The summary does not contradict the error (it said "NOPEUSDT: no closed candles for NOPEUSDT 1h …").
    assert.ok(
      !rig.env.printed.some((line) => line.includes("no closed candles")),
      rig.env.printed.join("\n"),
    );
  }));

Deno.test("binance: an invalid interval names symbol and interval; nothing is written when nothing was fetched", () =>
  withRig(AFTER, { source }, async (rig) => {
    const opts = { ...options(rig), interval: "4h" } as CollectOptions;
    await assert.rejects(runCollect(opts, rig.env), (error: CommandError) => {
      assert.match(error.message, /^Binance rejected AAAUSDT 4h: Invalid interval\./);
      // Not Binance's interval list, the one asked for among them: the server's own message names what it holds.
      assert.match(error.message, /this test server holds AAAUSDT at 1h/);
      assert.match(error.hint!, /does not serve that interval, though Binance has it: collect one it serves/);
      assert.doesNotMatch(error.hint!, /1m 3m 5m/);
      return true;
    });
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);
  }));

Deno.test("binance: the client slows down before the weight limit instead of earning a 429", () =>
  // The server's minute starts with 5,990 of 6,000 weight used; its counter resets on the next minute.
  withRig("2023-01-01T00:00:50", { source, startWeight: 5990 }, async (rig) => {
    await collectsEverything(rig);
    assert.ok(rig.server.log.every((r) => r.status === 200), "no 429");
    assert.deepEqual(rig.clock.sleeps, [11_000], "after 5,992 used: wait for the next minute plus 1 s");
    assert.match(rig.env.notices[0], /request weight 5992\/6000 used this minute; waiting 11 s/);
  }));

Deno.test("binance: past 80 % of the weight, requests are spread over the rest of the minute", () =>
  withRig("2023-01-01T00:00:30", { source, startWeight: 5000 }, async (rig) => {
    await collectsEverything(rig);
    // 30 s left, (6000 − 5002 − 10) / 2 = 494 requests' worth of weight: ~61 ms between requests.
    assert.equal(rig.clock.sleeps.length, 2);
    assert.ok(rig.clock.sleeps.every((ms) => ms > 50 && ms < 70), String(rig.clock.sleeps));
  }));

Deno.test("binance: a server-side weight limit's 429 and Retry-After are honoured", () =>
  withRig("2023-01-01T00:00:58", { source, weightLimit: 4 }, async (rig) => {
    await collectsEverything(rig);
    assert.deepEqual(rig.server.log.map((r) => r.status), [200, 200, 429, 200]);
    assert.deepEqual(rig.clock.sleeps, [2000]);
  }));

Deno.test("binance client: HTTP errors without a Binance body and malformed klines are not retried", async () => {
  const clock = new ManualClock(utcMs(AFTER));
  await withRig(
    AFTER,
    { source, fault: faultsAt({ 1: { kind: "status", status: 404, body: "not here" } }) },
    async (rig) => {
      const client = new BinanceClient(rig.server.url, clock);
      await assert.rejects(
        client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
        (error: BinanceError) => {
          assert.equal(error.kind, "unexpected");
          assert.match(error.message, /AAAUSDT 1h: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/api\/v3\/klines/);
          return true;
        },
      );
      assert.equal(client.requests, 1);
    },
  );
  await withRig(AFTER, {
    source,
    fault: faultsAt({ 1: { kind: "status", status: 200, body: '[[1,"x"]]' } }),
  }, async (rig) => {
    const client = new BinanceClient(rig.server.url + "/", clock);
    await assert.rejects(
      client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
      /unexpected klines .* at \[0\]/,
    );
  });
  // A restricted location (Binance answers US hosts so): the hint names the market-data host, not the error docs.
  await withRig(AFTER, {
    source,
    fault: faultsAt({
      1: {
        kind: "status",
        status: 451,
        body: '{"code":0,"msg":"Service unavailable from a restricted location"}',
      },
    }),
  }, async (rig) => {
    const client = new BinanceClient(rig.server.url, clock);
    await assert.rejects(
      client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
      (error: BinanceError) => {
        assert.match(
          error.message,
          /^AAAUSDT 1h: HTTP 451 from .*: Binance does not serve this location \(Service/,
        );
        assert.match(error.hint!, /--base-url https:\/\/data-api\.binance\.vision/);
        return true;
      },
    );
    assert.equal(client.requests, 1, "not retried");
  });
  // Open times in seconds (a look-alike API). Before: written as ms, candles of January 1970, exit 0.
  const kline = (t: number) => [t, "1", "2", "0.5", "1.5", "10", t + 3599, "15", 3, "5", "7", "0"];
  await withRig(AFTER, {
    source,
    fault: faultsAt({
      1: { kind: "status", status: 200, body: JSON.stringify([kline(1_792_706_400), kline(1_792_710_000)]) },
    }),
  }, async (rig) => {
    const client = new BinanceClient(rig.server.url, clock);
    await assert.rejects(
      client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
      /unexpected klines .* at \[0\]\[0\]: the open time 1792706400 is in seconds, where Binance sends ms/,
    );
  });
});

Deno.test("binance: a failed request says why, from the error's cause (Deno's fetch says only 'fetch failed')", () => {
  const dns = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (https://api.binance.com/api/v3/klines): client error (Connect): dns error: " +
        "failed to lookup address information: Name or service not known",
    ),
  });
  assert.equal(
    describe(dns),
    "fetch failed: dns error: failed to lookup address information: Name or service not known",
  );
  assert.equal(describe(new Error("connection reset\nat …")), "connection reset");
  assert.equal(describe(new TypeError("fetch failed", { cause: "refused" })), "fetch failed: refused");
});

Deno.test("binance client: a fetch Deno's net permission refuses fails at once, naming the permission, not the network", async () => {
  // The container's commands may reach Binance's two hosts only; another --base-url is refused by Deno. Before,
  // that was retried five times (15 s) and blamed on "the exchange or the network".
  const clock = new ManualClock(utcMs(AFTER));
  const real = globalThis.fetch;
  globalThis.fetch = () => {
    throw new Deno.errors.NotCapable(
      'Requires net access to "127.0.0.1:18499", run again with the --allow-net flag',
    );
  };
  try {
    const client = new BinanceClient("http://127.0.0.1:18499", clock);
    await assert.rejects(
      client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
      (error: BinanceError) => {
        assert.match(
          error.message,
          /^AAAUSDT 1h: this process may not connect to 127\.0\.0\.1:18499 \(Requires net/,
        );
        assert.match(error.hint!, /--allow-net=127\.0\.0\.1:18499/);
        assert.match(error.hint!, /CANDLECAST_COMMAND_PERMISSIONS/);
        return true;
      },
    );
    assert.equal(client.requests, 1, "not retried");
    assert.deepEqual(clock.sleeps, []);
  } finally {
    globalThis.fetch = real;
  }
});

Deno.test("binance client: a server past the timeout, before its headers or in its body, is said as a timeout and retried", async () => {
  // The first request gets no answer at all; the second its headers and then nothing of the body.
  let n = 0;
  const hung: ((value: Response) => void)[] = [];
  const stalled: ReadableStreamDefaultController<Uint8Array>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    if (++n === 1) return new Promise<Response>((resolve) => hung.push(resolve));
    const body = new ReadableStream<Uint8Array>({ start: (c) => void stalled.push(c) });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  const notices: string[] = [];
  const client = new BinanceClient(
    `http://127.0.0.1:${server.addr.port}`,
    new ManualClock(utcMs(AFTER)),
    { ...DEFAULT_RETRY_POLICY, maxTries: 2, timeoutMs: 300 },
    (message) => notices.push(message),
  );
  try {
    await assert.rejects(
      client.klines({ symbol: "AAAUSDT", interval: "1h", limit: 5 }),
      (error: BinanceError) => {
        assert.equal(error.kind, "gave-up");
        // Deno's own words were "network error: The operation was aborted due to timeout": no limit, no server.
        assert.match(
          error.message,
          /gave up after 2 tries .*\(no answer within 0\.3 s \(the request timed out/,
        );
        return true;
      },
    );
    assert.equal(notices.length, 1);
    assert.match(
      notices[0],
      /^AAAUSDT 1h: no answer within 0\.3 s \(the request timed out.*; retry 2\/2 in 1\.0 s$/,
    );
  } finally {
    hung.forEach((resolve) => resolve(new Response("[]")));
    stalled.forEach((c) => c.close());
    await server.shutdown();
  }
});

Deno.test("binance: a Retry-After date is measured against the response's own Date, not a skewed host clock", async () => {
  // The exchange (the rig's clock) asks to retry 3 s after its own now; the host's clock is 10 min off either way.
  for (const skew of [-10 * 60_000, 10 * 60_000]) {
    await withRig(AFTER, {
      source,
      fault: (r) =>
        r.n === 2
          ? {
            kind: "status",
            status: 429,
            headers: { "retry-after": new Date(utcMs(AFTER) + 3000).toUTCString() },
          }
          : undefined,
    }, async (rig) => {
      const clock = new ManualClock(utcMs(AFTER) + skew);
      await runCollect(options(rig), { ...rig.env, clock });
      // Before: 603 s behind (more than the 5-minute cap: the run ended as banned), 0 s ahead (five tries at once).
      assert.deepEqual(clock.sleeps, [3000], `host clock ${skew / 60_000} min off`);
    });
  }
});

Deno.test("binance: giving up after 429s says the exchange is rate limiting, not that it or the network is failing", () =>
  withRig(AFTER, { source, fault: () => ({ kind: "status", status: 429, retryAfter: 1 }) }, async (rig) => {
    await assert.rejects(runCollect(options(rig), rig.env), (error: CommandError) => {
      assert.match(error.message, /gave up after 5 tries .*\(HTTP 429: rate limited\)/);
      // Before: "the exchange or the network is failing; …".
      assert.match(error.hint!, /^Binance is rate limiting this IP \(another program on it may be using/);
      return true;
    });
  }));

Deno.test("binance client: a page's Date header is the exchange's time; one absent or unparsable is none", () => {
  assert.equal(headerTime("Thu, 01 Jun 2023 10:58:00 GMT"), utcMs("2023-06-01T10:58"));
  assert.equal(headerTime(null), undefined);
  assert.equal(headerTime("soon"), undefined);
});

Deno.test("binance: a symbol with caseless letters (币安人生USDT) reaches the exchange intact and is written as it is", async () => {
  // Binance lists such pairs (2025): the query must carry the symbol percent-encoded as UTF-8, which the
  // exchange decodes back to it; a request sent raw or encoded otherwise is "Invalid symbol" (-1121) there.
  const symbol = "币安人生USDT";
  await withRig(AFTER, { source: seriesSource({ [symbol]: { "1h": ROWS } }) }, async (rig) => {
    const report = await runCollect(options(rig, [symbol]), rig.env);
    assert.equal(report.collected, ROWS.length);
    assert.ok(
      rig.server.log.length > 0 && rig.server.log.every((r) => r.symbol === symbol && r.status === 200),
    );
    const [written] = await readTrainingCsv(rig.output);
    assert.equal(written.symbol, symbol);
    assertSameCandles(written, ROWS);
  });
  // The request line itself: UTF-8 percent-encoded, as Binance's own clients send it.
  const urls: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    urls.push(request.url);
    return Response.json([]);
  });
  try {
    const client = new BinanceClient(`http://127.0.0.1:${server.addr.port}`, new ManualClock(utcMs(AFTER)));
    await client.klines({ symbol, interval: "1h", limit: 5 });
    assert.equal(urls.length, 1);
    assert.match(urls[0], /\/api\/v3\/klines\?symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&interval=1h&/);
    assert.equal(new URL(urls[0]).searchParams.get("symbol"), symbol);
  } finally {
    await server.shutdown();
  }
});
