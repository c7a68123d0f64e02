/**
 * Run by a child Deno with `--v8-flags=--expose-gc` (`collect`'s memory test): one csv collect of `Deno.args[0]`
 * (an OHLCV file, its symbol from its name) into `Deno.args[1]`, printing as JSON by how many bytes what the
 * process held (heap and array buffers, garbage collected before each look) grew at most meanwhile. Without
 * the collections, the garbage a run leaves (~100 MB) hides what it keeps.
 */
import { ManualClock, runCollect, silentProgress } from "../cli/collect/index.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const held = () => {
  gc();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
};
const [csv, output] = Deno.args;
const before = held();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, held())), 0);
await runCollect(
  {
    source: "csv",
    files: [{ path: csv, symbol: csv.split("/").at(-1)!.split("-")[0], symbolFromFileName: true }],
    interval: "1h",
    output,
  },
  { clock: new ManualClock(Date.parse("2030-01-01")), progress: silentProgress, print: () => {} },
).finally(() => clearInterval(sampler));
console.log(JSON.stringify({ grown: peak - before }));
