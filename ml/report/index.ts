/** report.html: one self-contained page (inline CSS and SVG) for `evaluate` and for each `train` version. */
export * from "./html.ts";
export * from "./svg.ts";
export * from "./evaluation_report.ts";
export * from "./training_report.ts";
