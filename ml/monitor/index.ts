/**
 * Live monitoring: served predictions joined with realised outcomes, scored per day and per model version.
 *
 * @example Served predictions joined with what happened next
 * ```ts
 * import { readTrainingCsv } from "../../features/index.ts";
 * import { PredictionRecordSchema, readPreprocessorFile } from "../../engine/index.ts";
 * import { joinOutcomes, monitorReport } from "./index.ts";
 *
 * const lines = (await Deno.readTextFile("data/predictions.jsonl")).split("\n").filter((l) => l !== "");
 * const records = lines.map((l) => PredictionRecordSchema.parse(JSON.parse(l)));
 * const version = "v3_2026-11-24";
 * const preprocessors = new Map([[version, await readPreprocessorFile(`checkpoints/${version}`)]]);
 * const { joined, pending } = joinOutcomes(records, await readTrainingCsv("data/training_data.csv"), preprocessors);
 * const { byVersion, warnings } = monitorReport(joined, new Map()); // no test scores: nothing to warn against
 * console.log(byVersion, warnings, `${pending} await their label candle`);
 * ```
 */
export * from "./join.ts";
export * from "./report.ts";
