/**
 * The one definition of training throughput that `train`'s per-epoch line and `bench:train` both report:
 * windows that completed a training step (forward, loss, gradients, Adam) per second of wall-clock time spent
 * stepping — building each batch's tensors included, validation excluded.
 */
export function samplesPerSecond(windows: number, seconds: number): number {
  return seconds > 0 ? windows / seconds : 0;
}
