/**
 * report.html: one self-contained page (inline CSS and SVG) for `evaluate` and for each `train` version.
 *
 * @example One self-contained page: facts, a verdict, tables and SVG charts
 * ```ts
 * import { lineChart, writeReport } from "./index.ts";
 *
 * const chart = lineChart([{ name: "validation log-loss", x: [1, 2, 3], y: [1.06, 1.05, 1.052] }], {
 *   xLabel: "epoch",
 *   yLabel: "log-loss",
 * });
 * await writeReport("/tmp/report.html", {
 *   title: "An example",
 *   facts: [["data", "data/training_data.csv"]],
 *   verdict: ["1.0500 vs gradient boosting's 1.0520: a tie (−0.0050 … +0.0010)"],
 *   sections: [{ kind: "figures", title: "Training", figures: [{ caption: "per epoch", html: chart }] }],
 * });
 * ```
 */
export * from "./html.ts";
export * from "./svg.ts";
export * from "./evaluation_report.ts";
export * from "./training_report.ts";
