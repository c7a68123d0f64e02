/**
 * Versioned checkpoints (SPEC §7): write a complete version, list, promote, roll back, read manifests. Loads no
 * tensor library: the writer takes the model's saver and the ONNX exporter from its caller.
 *
 * @example List a store's versions and serve the newest
 * ```ts
 * import { currentVersion, listVersionNames, promote, summarizeVersions } from "./index.ts";
 *
 * const root = "checkpoints";
 * for (const v of await summarizeVersions(root)) console.log(v.version, v.modelType, v.testMacroF1);
 * const newest = (await listVersionNames(root)).at(-1);
 * if (newest && newest !== await currentVersion(root)) await promote(root, newest); // `current` → newest
 * ```
 */
export * from "./store.ts";
export * from "./manifest.ts";
export * from "./writer.ts";
export * from "./read.ts";
