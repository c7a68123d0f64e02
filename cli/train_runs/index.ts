/**
 * Training runs seen from outside a run: which run folders a checkpoints folder holds, whether each is still
 * training, the `--data` it was started with, and the words of train's hint for a run kept for `--resume`. It
 * loads none of training's code, so `models list` stays quick; a run's own folder (its state and weights) is
 * `folder/index.ts`'s, which loads the training code and its tensor library.
 */
export {
  isLiveRun,
  isRetrainCopy,
  keptRunClause,
  liveRuns,
  runData,
  runFolderNames,
  withoutKeptRunClause,
} from "./run_names.ts";
