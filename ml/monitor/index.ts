/** Live monitoring: served predictions joined with realised outcomes, scored per day and per model version. */
export * from "./join.ts";
export * from "./report.ts";
