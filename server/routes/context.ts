/**
 * What every route is handed: Hono's `Env` (the variables a request carries from its route to the app's
 * request line) and the parts of the app the routes answer from (`RouteDeps`).
 */
import type { DecisionChoice } from "../../engine/index.ts";
import type { Metrics } from "../metrics.ts";
import type { ModelSource } from "../models/store.ts";
import type { PredictionLog } from "../prediction_log.ts";
import { CLIENT_ADDRESS } from "../rate_limit.ts";

/** The app's Hono environment: what a request's handlers set for its log line. */
export type Env = {
  Variables: {
    symbol?: string | readonly string[];
    modelVersion?: string;
    /** `clientAddressOf` the request, for its log line and the rate limiter (`CLIENT_ADDRESS`). */
    [CLIENT_ADDRESS]?: string;
    /** The `detail` of the answer (an error's), or of a batch's first refused item: the log line's `detail`. */
    detail?: string;
    /** A /predict/batch's items, and how many of them were refused: the log line's `items` and `refused`. */
    items?: number;
    refused?: number;
  };
};

/** The app's parts the routes answer from, with `createApp`'s defaults already applied. */
export interface RouteDeps {
  readonly models: ModelSource;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  /** How `prediction` is chosen from the probabilities. */
  readonly decision: DecisionChoice;
  readonly metrics: Metrics;
  /** Where served predictions are recorded; none when undefined. */
  readonly predictionLog?: PredictionLog;
  /** True once the server is draining for shutdown. */
  readonly shuttingDown: () => boolean;
}
