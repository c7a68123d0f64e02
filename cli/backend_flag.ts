/**
 * `--backend` of `train` and `evaluate`, worded once for both. Not in flags.ts, which every command imports:
 * naming the backends loads ml/runtime, which `serve` and `predict` must not (they never load tfjs).
 */
import { Option } from "commander";
import { z } from "zod";
import { BACKEND_NAMES } from "../ml/runtime/index.ts";

/** `--backend` of the commands that train: which tfjs backend, auto-detected by default. */
export function backendOption(): Option {
  return new Option(
    "--backend <name>",
    "tfjs backend (auto: TensorFlow where @tensorflow/tfjs-node is installed, else WebAssembly, with " +
      "the native kernels where scripts/setup.sh could build them; the log's backend line says which)",
  ).choices([...BACKEND_NAMES]).default("auto");
}

/** The parsed `--backend` (see `backendOption`). */
export const backendFlag = () => z.enum(BACKEND_NAMES);
