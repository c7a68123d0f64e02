/**
 * Learning-rate schedules. `one_cycle` (Smith & Topin): a linear rise from peak/25 to the peak over the first
 * 30 % of all updates, then a cosine fall to ~0 — the schedule under which a recurrent net matched gradient
 * boosting within one pass over these labels; it needs the run's length up front, which `epochs` ×
 * batches per epoch gives. `warmup`: a linear warm-up over `warmupSteps`, then the constant base rate.
 */
export const LR_SCHEDULES = ["one_cycle", "warmup"] as const;
export type LrSchedule = typeof LR_SCHEDULES[number];

const ONE_CYCLE_RISE = 0.3;
const ONE_CYCLE_START_DIVISOR = 25;
const ONE_CYCLE_END_DIVISOR = 1e4;

export interface ScheduleOptions {
  readonly schedule: LrSchedule;
  /** The peak (one_cycle) or base (warmup) learning rate. */
  readonly learningRate: number;
  readonly warmupSteps: number;
}

/** The learning rate of update `step` (0-based) of `totalSteps`. */
export function learningRateAt(opts: ScheduleOptions, step: number, totalSteps: number): number {
  const peak = opts.learningRate;
  if (opts.schedule === "warmup") {
    return opts.warmupSteps > 0 ? peak * Math.min(1, (step + 1) / opts.warmupSteps) : peak;
  }
  const total = Math.max(1, totalSteps);
  const rise = Math.max(1, Math.round(total * ONE_CYCLE_RISE));
  const start = peak / ONE_CYCLE_START_DIVISOR, end = start / ONE_CYCLE_END_DIVISOR;
  if (step < rise) return start + (peak - start) * (step / rise);
  const fall = Math.min(1, (step - rise) / Math.max(1, total - rise));
  return end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI * fall));
}
