/**
 * What a reader of train's report.html, mailed without the terminal, must find in it (a reviewer's findings,
 * session 53): every finding train prints about the model, in its words; every number the verdict quotes in a
 * table; chart lines told apart by more than colour.
 */
import assert from "node:assert/strict";
import { servedCallsWords } from "../evaluate/index.ts";
import { computeMetrics, type Metrics, softmaxRows } from "../metrics/index.ts";
import type { EpochRecord } from "../train/index.ts";
import {
  type Cell,
  escapeXml,
  renderReport,
  type ReportData,
  temperatureWords,
  type TestDecisions,
  testDecisions,
  trainingReport,
  type TrainingReportInput,
} from "./index.ts";

/** 600 test windows, SIDEWAYS 60 %, DOWN and UP 20 % each. */
const LABELS = Int8Array.from({ length: 600 }, (_, i) => [1, 1, 0, 2, 1][i % 5]);

/** Logits with `bias` on every row, `signal` on the true class, and a little deterministic noise. */
function logitsFor(bias: readonly number[], signal: number): Float32Array {
  const out = new Float32Array(LABELS.length * 3);
  LABELS.forEach((y, i) => {
    for (let k = 0; k < 3; k++) {
      out[i * 3 + k] = bias[k] + (k === y ? signal : 0) + 0.3 * Math.sin(i * (k + 1));
    }
  });
  return out;
}

function metricsOf(logits: Float32Array): Metrics {
  const truth = Float64Array.from(LABELS, (_, i) => 0.01 * Math.sin(i));
  const predicted = Float64Array.from(LABELS, (_, i) => 0.002 * Math.cos(i));
  return computeMetrics(LABELS, softmaxRows(logits), truth, predicted);
}

/** The demo's case: UP called on most windows, no better than its base rate; prior rule served. */
const MODEL = logitsFor([0, 0, 0.4], 0);
const DECISIONS = testDecisions(MODEL, LABELS, 1, "prior", [0.2, 0.6, 0.2]);

function input(overrides: Partial<TrainingReportInput> = {}): TrainingReportInput {
  const lr = metricsOf(logitsFor([0, 0.5, 0], 0.2));
  return {
    version: "v1_2026-12-06",
    modelType: "lightweight_lstm",
    history: [],
    bestEpoch: 1,
    test: metricsOf(MODEL),
    baselines: { majority: metricsOf(logitsFor([0, 1, 0], 0)), logistic_regression: lr },
    // Under the served rule the baseline's macro-F1 differs from its argmax one in the test split table.
    baselinesServed: {
      majority: { accuracy: 0.2, macro_f1: 0.1111, predicted_share: { DOWN: 0, SIDEWAYS: 0, UP: 1 } },
      logistic_regression: {
        accuracy: 0.41,
        macro_f1: 0.3941,
        predicted_share: { DOWN: 0.3, SIDEWAYS: 0.4, UP: 0.3 },
      },
    },
    decisions: DECISIONS,
    temperature: 20,
    calibration: { windows: 412, keptFrom: null },
    ...overrides,
  };
}

/** The report's data: the verdict's lines and the sections, as trainingReport builds them for the page. */
const reportOf = (overrides: Partial<TrainingReportInput> = {}) => trainingReport(input(overrides));

const sectionOf = (r: ReportData, title: string) => r.sections.find((s) => s.title === title);

/** Every table cell's text, numbers written as the page writes a lone one (whole: grouped; else 4 decimals). */
function cellsOf(r: ReportData): Set<string> {
  const text = (c: Cell) =>
    c === null
      ? "–"
      : typeof c === "string"
      ? c
      : Number.isInteger(c)
      ? c.toLocaleString("en-US")
      : c.toFixed(4);
  return new Set(r.sections.flatMap((s) => s.kind === "table" ? s.rows.flatMap((row) => row.map(text)) : []));
}

Deno.test("the training verdict says what train printed about the model, in the same words", () => {
  const notes = [
    "the test split holds only 420 windows: its scores move by about ±0.05 in accuracy by chance alone",
  ];
  const verdict = reportOf({ dataNotes: notes }).verdict!;
  // The same function as train's terminal, on the same numbers: one wording, nothing to drift apart.
  const printed = servedCallsWords({
    calls: DECISIONS.served,
    baseRate: DECISIONS.baseRate!,
    ece: DECISIONS.confidenceEce!,
    eceFloor: DECISIONS.confidenceEceFloor!,
    rule: "prior",
  });
  assert.match(
    printed[0],
    /UP calls no better than guessing from the base rate here: a bot should not act on them/,
  );
  assert.match(printed[1], /read it as a ranking more than as a probability\.$/);
  for (const line of printed) assert.ok(verdict.includes(line), `verdict lacks: ${line}`);
  assert.ok(
    verdict.includes(
      "Calibrated: temperature 20.000 (fit on 412 validation windows); at its upper bound 20: on validation " +
        "the model's own confidence only cost it, so its probabilities are close to uniform and carry little.",
    ),
    verdict.join("\n"),
  );
  assert.ok(verdict.includes(`Note: ${notes[0]}.`));
  // Before the comparison's closing line; and there also with no baseline to compare with.
  assert.match(verdict.at(-1)!, /^One split only/);
  assert.ok(reportOf({ baselines: {} }).verdict!.includes(printed[0]));
  // The page shows the verdict's lines as given.
  assert.ok(renderReport(reportOf()).includes(escapeXml(printed[0])));
});

Deno.test("the temperature reaches the verdict only where its line warns, in train's words", () => {
  const plain = temperatureWords(5_000, 1.25, null);
  assert.deepEqual(plain, { line: "temperature 1.250 (fit on 5,000 validation windows)", warns: false });
  const verdict = (temperature: number, windows: number, keptFrom: string | null = null) =>
    reportOf({ temperature, calibration: { windows, keptFrom } }).verdict!;
  assert.ok(!verdict(1.25, 5_000).some((l) => l.startsWith("Calibrated:")));
  const few = temperatureWords(150, 1.25, null);
  assert.equal(few.warns, true);
  assert.match(few.line, /; warning: fewer than 200 windows make it unreliable: use more data$/);
  assert.ok(verdict(1.25, 150).includes(`Calibrated: ${few.line}.`));
  const kept = temperatureWords(40, 1.1, "v3_2026-12-01");
  assert.equal(kept.warns, true);
  assert.ok(verdict(1.1, 40, "v3_2026-12-01").includes(`Calibrated: ${kept.line}.`));
});

Deno.test("every number the training verdict quotes is in a table of the report", () => {
  const report = reportOf();
  const cells = cellsOf(report);
  const verdict = report.verdict!;
  // The served-rule macro-F1 of the best baseline was in no table ("Decision rules side by side" had the
  // model's rows only), and the served calls' and calibration's numbers in none either.
  assert.ok(verdict.some((l) => l.includes("best baseline's (logistic_regression) 0.3941")));
  assert.ok(cells.has("0.3941"), "the best baseline's served-rule macro-F1 is in no table");
  for (const line of verdict.filter((l) => !l.startsWith("The model's return head"))) {
    for (const [n] of line.matchAll(/(?<![\d.])\d+\.\d{4}(?!\d)/g)) {
      assert.ok(cells.has(n), `${n} of: ${line}`);
    }
  }
  const calls = verdict.find((l) => l.startsWith("Served calls:"))!;
  for (const [share] of calls.matchAll(/\d+\.\d %/g)) assert.ok(cells.has(share), `${share} of: ${calls}`);
  for (const [, points] of calls.matchAll(/\(([+−]\d+\.\d points), /g)) assert.ok(cells.has(points), points);
  for (const [, n] of calls.matchAll(/, ([\d,]+) calls?\)/g)) assert.ok(cells.has(n), `${n} calls`);
  const decision = verdict.find((l) => l.startsWith("The served decision"))!;
  for (const [share] of decision.matchAll(/\d+ %/g)) assert.ok(cells.has(share), share);
  assert.match(decision, /\(both in the table "Decision rules side by side"\)/);
  const rules = sectionOf(report, "Decision rules side by side");
  assert.ok(rules?.kind === "table" && rules.rows.some((r) => r[0] === "logistic_regression, prior rule"));
});

function epochs(n: number, member?: number): EpochRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    ...(member ? { member } : {}),
    partial: false,
    windows: 10,
    loss: 1.9 - 0.1 * i,
    accuracy: 0.4 + 0.01 * i,
    val_loss: 1.3 - 0.01 * i,
    val_accuracy: 0.42 + 0.005 * i,
    val_macro_f1: 0.3 + 0.004 * i,
    val_log_loss: 1.1 - 0.002 * i,
    val_calibrated_log_loss: 1.09 - 0.001 * i,
    val_temperature: 1,
    learning_rate: 0.002,
    samples_per_second: 100,
    seconds: 1,
  }));
}

/** Each training chart's lines as [colour, dashed], chart by chart, from the SVG the section holds. */
function chartLines(r: ReportData): [string, boolean][][] {
  const curves = sectionOf(r, "Training curves");
  assert.ok(curves?.kind === "figures");
  return curves.figures.map((fig) =>
    [...fig.html.matchAll(/<polyline [^>]*?stroke="([^"]+)"([^>]*)>/g)].map((
      m,
    ) => [m[1], m[2].includes("dasharray")])
  );
}

Deno.test("no two lines of a training chart differ by colour alone: each has its own dash, and the note says so", () => {
  const report = reportOf({ history: epochs(4) });
  const charts = chartLines(report);
  assert.equal(charts.length, 4);
  for (const lines of charts) {
    // Before: "validation accuracy" and "validation macro-F1" shared a chart, both solid.
    assert.equal(new Set(lines.map(([, dashed]) => dashed)).size, lines.length, JSON.stringify(lines));
  }
  const note = (r: ReportData) => (sectionOf(r, "Training curves") as { note?: string }).note ?? "";
  assert.match(note(report), /In each chart the dashed line is the training split's/);
  // An ensemble: a member's lines differ by dash; the members by colour, as the note says.
  const ensemble = reportOf({ history: [...epochs(3, 1), ...epochs(3, 2)] });
  for (const lines of chartLines(ensemble)) {
    for (const colour of new Set(lines.map(([c]) => c))) {
      const own = lines.filter(([c]) => c === colour);
      assert.equal(new Set(own.map(([, dashed]) => dashed)).size, own.length, JSON.stringify(lines));
    }
  }
  assert.match(note(ensemble), /members are told apart by colour and named in the legend/);
});

Deno.test("a run of one epoch per member lists its values in a table, not as dots told apart by colour", () => {
  // demo --short: each member's curves were one dot per chart, coloured, with nothing else to tell them apart.
  const curves = sectionOf(reportOf({ history: [...epochs(1, 1), ...epochs(1, 2)] }), "Training curves");
  assert.ok(curves?.kind === "table", "one epoch each: drawn as charts of dots");
  assert.deepEqual(curves.columns, ["line", "member 1", "member 2"]);
  assert.deepEqual(curves.rows.find((row) => row[0] === "validation macro-F1"), [
    "validation macro-F1",
    "0.3000",
    "0.3000",
  ]);
  assert.equal(curves.rows.length, 7);
  assert.match(curves.note ?? "", /One epoch each/);
});

Deno.test("testDecisions records the test windows' base rates the served calls are read against", () => {
  const d: TestDecisions = DECISIONS;
  assert.deepEqual(d.baseRate, { down: 0.2, up: 0.2 });
  assert.equal(d.served.per_class.UP.support, 120);
});

Deno.test("a class named too few times shows no hit-rate difference in the table, as the verdict tells none", () => {
  // DOWN named 9 times: the verdict said "too few to tell a hit rate" while the table said −19.6 points.
  const served = {
    ...DECISIONS.served,
    confusion_matrix: DECISIONS.served.confusion_matrix.map((row) => [...row]),
  };
  const m = served.confusion_matrix;
  // Keep 9 DOWN calls (column 0): move the rest to SIDEWAYS.
  let keep = 9;
  for (const row of m) {
    const moved = Math.max(0, row[0] - keep);
    keep = Math.max(0, keep - row[0]);
    row[0] -= moved;
    row[1] += moved;
  }
  const report = reportOf({ decisions: { ...DECISIONS, served } });
  assert.ok(report.verdict!.some((l) => l.includes("DOWN named 9 times, too few to tell a hit rate")));
  const table = report.sections.find((s) => s.title?.startsWith("Served calls against the base rate"));
  assert.ok(table?.kind === "table");
  const down = table.rows.find((r) => r[0] === "DOWN")!;
  assert.equal(down[1], "9");
  assert.match(String(down[2]), / \(too few\)$/);
  assert.equal(down[4], "–");
});

Deno.test("the served calls and served confidence's calibration of every learner, the model's first", () => {
  const lr = testDecisions(logitsFor([0, 0.5, 0], 0.2), LABELS, 1, "prior", [0.2, 0.6, 0.2]).served;
  const baselinesServed = {
    logistic_regression: {
      accuracy: lr.accuracy,
      macro_f1: lr.macro_f1,
      predicted_share: lr.predicted_share,
      confusion_matrix: lr.confusion_matrix,
      per_class: lr.per_class,
      confidence_ece: 0.0123,
      confidence_ece_floor: 0.0045,
    },
  };
  const table = sectionOf(reportOf({ baselinesServed }), "Every learner's served calls (prior rule)");
  assert.ok(table?.kind === "table");
  assert.deepEqual(table.rows.map((r) => r[0]), ["lightweight_lstm", "logistic_regression"]);
  const upCalls = (m: typeof lr) =>
    m.confusion_matrix.reduce((n, row) => n + row[2], 0).toLocaleString("en-US");
  assert.equal(table.rows[0][3], upCalls(DECISIONS.served));
  assert.equal(table.rows[1][3], upCalls(lr));
  assert.deepEqual(table.rows[1].slice(5), ["0.0123", "0.0045"]);
  // A version from before the baselines' calls were recorded: no such table, nothing invented.
  assert.equal(sectionOf(reportOf(), "Every learner's served calls (prior rule)"), undefined);
});

Deno.test("a blend's report says the warning temperature is its network's alone", () => {
  const blend = { weight: 0.5, with: "gradient_boosting", network: metricsOf(MODEL) };
  const verdict = reportOf({ blend }).verdict!;
  assert.ok(
    verdict.some((l) => l.startsWith("Calibrated (the network alone): temperature 20.000")),
    verdict.join("\n"),
  );
});
