/**
 * The paths and URL every command defaults to, in one place: collect writes the training CSV that train,
 * evaluate, retrain and monitor read, serve writes the prediction log that monitor reads, train and retrain
 * store versions where serve, predict, export and models look for them. A default changed in one command alone
 * would quietly split them.
 */
export const DEFAULTS = {
  /** collect's output, every other command's `--data`. */
  trainingCsv: "data/training_data.csv",
  /** serve's `--predictions-log`, monitor's `--predictions`. */
  predictionLog: "data/predictions.jsonl",
  /** The versions folder (SPEC §7). */
  checkpoints: "checkpoints",
  /** The version a command uses unless told otherwise: the folder's `current` link. */
  currentVersion: "checkpoints/current",
  /** Binance's REST API (collect, retrain). */
  binanceUrl: "https://api.binance.com",
} as const;
