/**
 * `--workers` of the commands that train (`train`, `evaluate`), worded and resolved once for both, so an
 * evaluation can be held to fewer cores than the machine has, as a training run can; and the note all three
 * commands with a `--workers` (serve's are processes) give one above the machine's cores.
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
  if (!aboveCores(workers, cores)) return null;
  return `note: --workers ${workers} is more than this machine's ${cores} cores: its ${workers} threads share ` +
    `them, each with its own copy of the model, slower and in more memory than --workers ${cores}; the result ` +
    `is the same as on ${workers} cores (as for reproducing a manifest's training.workers)`;
}

/**
 * serve's form of the note, for its `warning` log line: `--workers 8` on 2 cores started 8 processes without
 * a word, each loading its own model (~240 MiB each), which then share the 2 cores: more memory, and no faster
 * than one per core. Accepted still, as train's is: a unit file written for a bigger machine keeps serving.
 */
export function serveWorkersNote(
  workers: number | undefined,
  cores: number = navigator.hardwareConcurrency,
): { message: string; hint: string } | null {
  if (!aboveCores(workers, cores)) return null;
  return {
    message:
      `--workers ${workers} is more than this machine's ${cores} cores: its ${workers} processes share ` +
      "them, each with its own copy of the model, in more memory and no faster than one per core",
    hint: `--workers ${cores} (the default here, one per core) serves as fast in less memory`,
  };
}

const aboveCores = (workers: number | undefined, cores: number): workers is number =>
  workers !== undefined && cores > 0 && workers > cores;
