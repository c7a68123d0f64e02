/** A baseline's output for n windows, in the shape the metrics take. */
export interface Prediction {
  /** [n, 3] row-major, class order DOWN, SIDEWAYS, UP. */
  readonly probabilities: Float32Array;
  /** Expected forward return of each window, as a fraction. */
  readonly returns: Float64Array;
  /** The predicted classes when they are not the argmax of the probabilities. */
  readonly classes?: Int8Array;
}
