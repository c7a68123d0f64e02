/**
 * `--workers` of the commands that train (`train`, `evaluate`), worded and resolved once for both, so an
 * evaluation can be held to fewer cores than the machine has, as a training run can.
 */
import { Option } from "commander";
import { flag } from "./flags.ts";

/** `--workers`: the cores training may use; absent means all of them. */
export function workersOption(): Option {
  return new Option(
    "--workers <n>",
    "cores to train on (default: the number of cores). Ensemble members train on them at once, one " +
      "core each; a model training alone (--members 1, or a member left over when the members do not " +
      "divide among the cores, trained last) splits each batch across them. The result is the same as " +
      "with 1 up to float rounding",
  );
}

/** The parsed `--workers` (see `workersOption`). */
export const workersFlag = () => flag.positiveInt().optional();

/** The cores to train on: `--workers` where typed, else every core this process sees. */
export function trainingCores(workers: number | undefined): number {
  return workers ?? navigator.hardwareConcurrency ?? 1;
}
