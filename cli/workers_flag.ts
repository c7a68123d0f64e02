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

/**
 * A note for a `--workers` above the cores this process sees: accepted, since it is how a manifest's
 * `training.workers` from a bigger machine is reproduced, but the threads then share the cores, each with its
 * own copy of the model (16 on 2 cores trained at a third of the speed in four times the memory), and the
 * schedule line's "on 16 cores" read as if the machine had them.
 */
export function workersNote(
  workers: number | undefined,
  cores: number = navigator.hardwareConcurrency,
): string | null {
  if (workers === undefined || !(cores > 0) || workers <= cores) return null;
  return `note: --workers ${workers} is more than this machine's ${cores} cores: its ${workers} threads share ` +
    `them, each with its own copy of the model, slower and in more memory than --workers ${cores}; the result ` +
    `is the same as on ${workers} cores (as for reproducing a manifest's training.workers)`;
}
