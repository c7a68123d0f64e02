/** Versioned checkpoints (SPEC §7): write a complete version, list, promote, roll back, read manifests. */
export * from "./store.ts";
export * from "./manifest.ts";
export * from "./writer.ts";
export * from "./read.ts";
export * from "./recorded_run_config.ts";
