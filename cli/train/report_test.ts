import assert from "node:assert/strict";
import { columnsOf } from "../../base/index.ts";
import type { TrainResult } from "../../ml/train/index.ts";
import {
  dataLines,
  keptRunLine,
  missingSymbolNotes,
  NO_INTERVAL_NOTE,
  smallSplitNotes,
  stopLine,
} from "./report.ts";
import type { Dataset } from "../../ml/data/index.ts";

const member = (epochs: number, best: number, stop: TrainResult["stopReason"]): TrainResult => ({
  history: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1 }) as TrainResult["history"][number]),
  bestEpoch: best,
  stopReason: stop,
});

Deno.test("an ensemble's stop line says which members stopped early, not the last member's reason", () => {
  const perMember = [member(4, 1, "early_stopping"), member(6, 5, "epochs"), member(6, 6, "epochs")];
  // membersResult takes the last member's reason: "epochs" here, although member 1 stopped early.
  const line = stopLine({
    perMember,
    history: perMember.flatMap((m) => m.history),
    bestEpoch: 6,
    stopReason: "epochs",
  });
  assert.equal(
    line,
    "done: members trained 4 (stopped early) / 6 / 6 epochs, best epochs 1 / 5 / 6 " +
      "(each member keeps its best epoch's weights)",
  );
  const lastStopped = [member(6, 6, "epochs"), member(3, 1, "early_stopping")];
  assert.equal(
    stopLine({ perMember: lastStopped, history: [], bestEpoch: 1, stopReason: "early_stopping" }).split(
      ",",
    )[0],
    "done: members trained 6 / 3 (stopped early) epochs",
  );
  assert.equal(
    stopLine({ perMember: lastStopped, history: [], bestEpoch: 1, stopReason: "interrupted" }).split(":")[0],
    "interrupted",
  );
});

Deno.test("the stop line says when Ctrl-C cut a member's last epoch short: it is counted, not whole", () => {
  const cutShort = (epochs: number, best: number): TrainResult => {
    const m = member(epochs, best, "interrupted");
    return { ...m, history: m.history.map((e, i) => ({ ...e, partial: i === epochs - 1 })) };
  };
  const perMember = [member(4, 4, "epochs"), cutShort(4, 2)];
  assert.equal(
    stopLine({ perMember, history: [], bestEpoch: 2, stopReason: "interrupted" }),
    "interrupted: members trained 4 / 4 (the last cut short) epochs, best epochs 4 / 2 " +
      "(each member keeps its best epoch's weights)",
  );
  const one = cutShort(3, 3);
  assert.equal(
    stopLine({ perMember: [one], ...one }),
    "interrupted after 3 epochs (the last cut short); best epoch 3 (its weights are kept)",
  );
  // Stopped between epochs: every epoch counted ran whole.
  const between = member(3, 3, "interrupted");
  assert.equal(
    stopLine({ perMember: [between], ...between }),
    "interrupted after 3 epochs; best epoch 3 (its weights are kept)",
  );
});

Deno.test("a single model's stop line names its stop reason and best epoch", () => {
  const one = member(5, 2, "early_stopping");
  assert.equal(
    stopLine({ perMember: [one], ...one }),
    "early stopping after 5 epochs; best epoch 2 (its weights are kept)",
  );
  const done = member(6, 6, "epochs");
  assert.equal(
    stopLine({ perMember: [done], ...done }),
    "done after 6 epochs; best epoch 6 (its weights are kept)",
  );
});

Deno.test("train notes a validation or test split too small for its scores to say much", () => {
  const split = (size: number) => ({ size }) as Dataset["test"];
  assert.deepEqual(
    smallSplitNotes({ train: split(50_000), validation: split(5_000), test: split(20_000) }),
    [],
  );
  const [test] = smallSplitNotes({ train: split(50_000), validation: split(5_000), test: split(32) });
  // Before: a version saved on 32 test windows, "test macro-F1 0.1705", without a word.
  assert.equal(
    test,
    "  note: the test split holds only 32 windows: its scores move by about ±0.18 in accuracy by chance alone; " +
      "more data or wider --split-dates give a score that says something",
  );
  assert.equal(
    smallSplitNotes({ train: split(50_000), validation: split(999), test: split(1_000) }).length,
    1,
  );
  // 22 training windows (a validation start days into the data): noted; a fine-tune's few new ones are not.
  const [train] = smallSplitNotes({ train: split(22), validation: split(5_000), test: split(5_000) });
  assert.match(train, /^ {2}note: the training split holds only 22 windows: too few to learn from/);
  assert.deepEqual(
    smallSplitNotes({ train: split(22), validation: split(5_000), test: split(5_000) }, true),
    [],
  );
});

Deno.test("train notes symbols with no test or validation windows while others have some", () => {
  const symbol = (name: string, validation: number, test: number) =>
    ({ symbol: name, train: 9, validation, test }) as Dataset["symbols"][number];
  const notes = (...symbols: Dataset["symbols"][number][]) =>
    missingSymbolNotes({ symbols, lookback: 50, horizon: 4 });
  assert.deepEqual(notes(symbol("BTCUSDT", 9, 9), symbol("ETHUSDT", 9, 9)), []);
  // Before: ETHUSDT's candles ended before the common test date, and the test figures were BTCUSDT's alone,
  // unsaid. No windows anywhere is another failure (train stops), not this note.
  assert.deepEqual(notes(symbol("BTCUSDT", 9, 9), symbol("ETHUSDT", 0, 0)), [
    "  note: ETHUSDT has no validation windows (the split's dates are common to every symbol): the validation " +
    "scores cover BTCUSDT only",
    "  note: ETHUSDT has no test windows (the split's dates are common to every symbol): the test scores cover " +
    "BTCUSDT only",
  ]);
  assert.deepEqual(notes(symbol("BTCUSDT", 0, 0), symbol("ETHUSDT", 0, 0)), []);
});

Deno.test("a symbol with no window at all is told why, not that the split's dates left it out (flat trial s47)", () => {
  const summary = (name: string, candles: number, windows: number, skipped: number, gapped = 0) =>
    ({
      symbol: name,
      candles,
      train: windows,
      validation: windows,
      test: windows,
      skipped,
      purged: 0,
      gapped,
    }) as Dataset["symbols"][number];
  // Before: a pair listed 60 hours ago was said to have no validation and no test windows "(the split's dates are
  // common to every symbol)"; it had no window anywhere, its candles all inside the indicators' warm-up.
  assert.deepEqual(
    missingSymbolNotes({
      symbols: [summary("BTCUSDT", 3_000, 900, 49), summary("NEWUSDT", 60, 0, 7)],
      lookback: 50,
      horizon: 4,
    }),
    [
      "  note: NEWUSDT gave no windows (60 candles; its 7 candidate windows hold candles still in the indicators' " +
      "warm-up: a symbol needs 49 candles of it (EMA(50)'s) before its first window of lookback 50 + horizon 4, " +
      "103 candles where collect computed them): it is neither trained on nor scored; collect more of its candles",
    ],
  );
  const [gapped, short] = missingSymbolNotes({
    symbols: [
      summary("BTCUSDT", 3_000, 900, 0),
      summary("GAPUSDT", 80, 0, 0, 3),
      summary("NEWUSDT", 40, 0, 0),
    ],
    lookback: 50,
    horizon: 4,
  });
  assert.match(
    gapped,
    /GAPUSDT gave no windows \(80 candles; candles are missing before the label candle of each/,
  );
  // The warm-up is counted: before, "a window takes … = 54 candles", and 54 collected still gave none.
  assert.match(
    short,
    /NEWUSDT gave no windows \(40 candles; a window takes lookback 50 \+ horizon 4 = 54 candles, after the indicators' warm-up of 49 \(EMA\(50\)'s\) where collect computed them: 103 candles\)/,
  );
  const [one] = missingSymbolNotes({
    symbols: [summary("BTCUSDT", 3_000, 900, 0), summary("LATEUSDT", 1, 0, 0)],
    lookback: 50,
    horizon: 4,
  });
  assert.match(one, /LATEUSDT gave no windows \(1 candle; /);
});

Deno.test("a symbol listed after the training split is said to be scored without having been trained on", () => {
  const summary = (name: string, train: number, validation: number, test: number) =>
    ({ symbol: name, candles: 3_000, train, validation, test, skipped: 0, purged: 0, gapped: 0 }) as Dataset[
      "symbols"
    ][number];
  const d = (late: Dataset["symbols"][number]) => ({
    symbols: [summary("BTCUSDT", 2_000, 400, 400), late],
    lookback: 50,
    horizon: 4,
  });
  // Before: nothing said a third of the test score was of a symbol the model never saw (a seat's trial).
  assert.deepEqual(missingSymbolNotes(d(summary("LATEUSDT", 0, 157, 314))), [
    "  note: LATEUSDT has no training windows (its candles begin after the training split): the validation and " +
    "test scores include a symbol the model never trained on",
  ]);
  assert.deepEqual(
    missingSymbolNotes(d(summary("LATEUSDT", 0, 157, 314)), true),
    [],
    "a fine-tune: by design",
  );
  assert.deepEqual(missingSymbolNotes(d(summary("LATEUSDT", 5, 157, 314))), []);
});

Deno.test("candles without open times: train says the version records no interval, and what that costs", () => {
  const split = (size: number) => ({ size, labels: new Int8Array(size) }) as unknown as Dataset["test"];
  const d = {
    symbols: [{
      symbol: "BTCUSDT",
      candles: 3_000,
      train: 9,
      validation: 9,
      test: 9,
      skipped: 0,
      purged: 0,
      gapped: 0,
    }],
    lookback: 50,
    horizon: 4,
    train: split(9),
    validation: split(9),
    test: split(9),
    trainClassCounts: [3, 3, 3],
    skipped: 0,
    gapped: 0,
  } as unknown as Dataset;
  assert.ok(dataLines(d, false, null).includes(NO_INTERVAL_NOTE));
  assert.ok(!dataLines(d, false, "1h").includes(NO_INTERVAL_NOTE));
});

Deno.test("a run kept while another trains is resumed by a command naming its store", () => {
  // Before: "'candlecast train --resume' continues it" whatever --checkpoints was, which resumed nothing.
  assert.equal(
    keptRunLine("ck/.train_20261203T155213_f56db1dc", 44, "ck"),
    "an earlier run stopped after 44 epochs is kept in ck/.train_20261203T155213_f56db1dc; " +
      "'candlecast train --resume --checkpoints ck' continues it",
  );
  assert.match(
    keptRunLine("checkpoints/.train_x", 1, "checkpoints"),
    /after 1 epoch is kept .*'candlecast train --resume' continues/,
  );
  // Members counted each: before, "stopped after 5 epochs" for two members at 3 and 2 of 8.
  assert.match(
    keptRunLine("ck/.train_y", [3, 2], "ck"),
    /^an earlier run stopped with its 2 members after 3 and 2 epochs is kept in ck\/\.train_y; /,
  );
  assert.match(
    keptRunLine("ck/.train_y", [4, 4, 1], "ck"),
    /with its 3 members after 4, 4 and 1 epochs is kept/,
  );
  assert.match(keptRunLine("ck/.train_y", [7], "ck"), /^an earlier run stopped after 7 epochs is kept/);
});

Deno.test("a kept run an older candlecast started is not offered to --resume, which refuses it (upgrade trial)", () => {
  // Before: "'candlecast train --resume' continues it", and --resume then refused the run for its split.
  const line = keptRunLine("ck/.train_20261204T001632_6ef09155", 47, "ck", true);
  assert.equal(
    line,
    "an earlier run stopped after 47 epochs is kept in ck/.train_20261204T001632_6ef09155; it was started by " +
      "an older candlecast, whose per-symbol split 'train --resume' cannot continue: delete the folder, or " +
      "finish the run with the candlecast that started it",
  );
});

Deno.test("a kept run --resume would refuse for a damaged file is not offered to it: the file and what to do are said", () => {
  // Before: "'candlecast train --resume --checkpoints ck' continues it", whatever its files held.
  const refused = {
    problem: "its member_1.weights is damaged (values cut short)",
    hint:
      "start a new run without --resume; 'rm -r ck/.train_z' drops this one, which train and models list " +
      "otherwise keep naming",
  };
  assert.equal(
    keptRunLine("ck/.train_z", 2, "ck", false, refused),
    "an earlier run stopped after 2 epochs is kept in ck/.train_z; 'candlecast train --resume' cannot resume " +
      "it: its member_1.weights is damaged (values cut short); start a new run without --resume; 'rm -r " +
      "ck/.train_z' drops this one, which train and models list otherwise keep naming",
  );
  // Damage is said before an older candlecast's split, as models list orders them.
  assert.match(keptRunLine("ck/.train_z", 2, "ck", true, refused), /cannot resume it: its member_1\.weights/);
});

Deno.test("dataLines: the per-symbol rows stay aligned for a million-candle symbol or a long name; counts are grouped", () => {
  const summary = (symbol: string, candles: number) => ({
    symbol,
    candles,
    firstOpenTime: Date.UTC(2020, 0, 1),
    lastOpenTime: Date.UTC(2023, 11, 30),
    train: candles - 2_000,
    validation: 1_000,
    test: 1_000,
    skipped: 0,
    purged: 0,
    gapped: 0,
  });
  const set = (size: number, labels = new Int8Array(size)) => ({ size, labels });
  const d = {
    lookback: 50,
    horizon: 4,
    symbols: [summary("BTCUSDT", 1_114_240), summary("1000SHIBUSDT", 29_658), summary("ETHUSDT", 55_712)],
    train: set(1_193_610),
    validation: set(3_000),
    test: set(3_000, Int8Array.from({ length: 3_000 }, (_, i) => i % 3)),
    trainClassCounts: [400_000, 393_610, 400_000],
    skipped: 0,
    gapped: 0,
  } as unknown as Dataset;
  const lines = dataLines(d);
  // The candles lookback and horizon count, when the data has open times to tell them by.
  assert.equal(lines[0], "data: 3 symbols, lookback 50, horizon 4");
  assert.equal(dataLines(d, false, "15m")[0], "data: 3 symbols of 15m candles, lookback 50, horizon 4");
  // The rows (the note on candles without open times, under lines without an interval, mentions candles too).
  const rows = dataLines(d, false, "15m").filter((line) => line.includes(" candles "));
  assert.equal(rows.length, 3);
  // 15m candles since 1992 (1,114,240) pushed "candles" right on their row; a 12-letter name pushed its row.
  assert.equal(new Set(rows.map((row) => row.indexOf(" candles "))).size, 1, rows.join("\n"));
  assert.equal(new Set(rows.map((row) => row.indexOf("windows train"))).size, 1, rows.join("\n"));
  assert.ok(
    lines.includes("  train classes: DOWN 400,000 (33.5%), SIDEWAYS 393,610 (33.0%), UP 400,000 (33.5%)"),
    lines.join("\n"),
  );
});

// By code units (padEnd) 币安人生USDT (8 units, 12 terminal columns) sat 4 columns right of its neighbours.
Deno.test("dataLines: a symbol of wide characters keeps its row aligned in terminal columns", () => {
  const summary = (symbol: string) => ({
    symbol,
    candles: 5_000,
    firstOpenTime: Date.UTC(2024, 0, 1),
    lastOpenTime: Date.UTC(2024, 6, 1),
    train: 3_000,
    validation: 1_000,
    test: 1_000,
    skipped: 0,
    purged: 0,
    gapped: 0,
  });
  const set = (size: number) => ({ size, labels: Int8Array.from({ length: size }, (_, i) => i % 3) });
  const d = {
    lookback: 50,
    horizon: 4,
    symbols: [summary("币安人生USDT"), summary("ETHBTC")],
    train: set(6_000),
    validation: set(2_000),
    test: set(2_000),
    trainClassCounts: [2_000, 2_000, 2_000],
    skipped: 0,
    gapped: 0,
  } as unknown as Dataset;
  const rows = dataLines(d, false, "1h").filter((line) => line.includes(" candles "));
  const column = (row: string) => columnsOf(row.slice(0, row.indexOf(" candles ")));
  assert.equal(rows.length, 2);
  assert.equal(column(rows[0]), column(rows[1]), rows.join("\n"));
});
