/**
 * What `train` and `evaluate` do alike around their training CSV: the file read with its progress shown and a
 * stop heard while it streams in (`readTrainingData`), and a progress bar a failure leaves drawn cleared
 * (`clearingProgress`).
 */
import type { BatchProgress } from "../base/index.ts";
import { type CandleSeries, readTrainingCsv } from "../features/index.ts";
import { MB, phaseProgress } from "./phase_progress.ts";

/** Where a command reports the read: its progress bar (if any) and Ctrl-C. */
export interface RunDataIo {
  readonly progress?: BatchProgress;
  readonly signal?: AbortSignal;
}

/**
 * Runs `work` and then clears `io`'s progress bar, however it ends. A failure mid-phase (a bad row late in the
 * CSV) leaves its bar drawn: cleared, so the error that follows starts its own line instead of running on
 * after "… 5/11 MB ETA 0s".
 */
export async function clearingProgress<T>(
  io: { readonly progress?: BatchProgress },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } finally {
    io.progress?.clear();
  }
}

/**
 * Reads the training CSV at `path` with its progress in MB ("reading PATH"), then clears the bar. A stop
 * (`io.signal`) while the file is read ends the read there (a big file takes seconds), not at its end, and
 * rejects with `stopped()`: the command's own words for a stop before any work. `sha256` is the hash of the
 * bytes the read parsed, so what the run records names the candles it used (a second read could meet a file
 * collect had replaced since).
 */
export async function readTrainingData(
  path: string,
  io: RunDataIo,
  stopped: () => Error,
): Promise<{ series: CandleSeries[]; sha256: string }> {
  // Heard once every byte is in, before the rows become series: a read that returns has set it.
  let sha256 = "";
  const series = await readTrainingCsv(path, {
    progress: phaseProgress(io, `reading ${path}`, MB),
    signal: io.signal,
    onDigest: (digest) => void (sha256 = digest),
  }).catch((error) => {
    if (io.signal?.aborted && error === io.signal.reason) throw stopped();
    throw error;
  });
  io.progress?.clear();
  return { series, sha256 };
}
