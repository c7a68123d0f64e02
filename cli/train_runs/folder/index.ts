/**
 * A training run's own folder, `checkpoints/.train_<start>_<id>/`: made, saved into and kept while `train`
 * runs (`RunFolder`), read back by `train --resume` and `models list` (`abandonedRuns`), and described in
 * train's words. Loading it loads the training code and its tensor library (~0.2 s), so a command that only
 * lists runs imports `../index.ts` and loads this when it needs a run's state.
 */
export {
  type Abandoned,
  abandonedRuns,
  DamagedRunError,
  describeRun,
  epochsDone,
  isFinished,
  type MemberState,
  OUTDATED_RUN,
  passedOverLine,
  pruneAbandonedRuns,
  type RefusedRun,
  rerunLine,
  resumableState,
  type ResumeChoice,
  resumeChoice,
  resumedFlags,
  type RetrainRun,
  RunFlagsError,
  RunFolder,
  runOrigin,
  type RunState,
  splitOutdated,
  unjudgedCandidateHint,
  wholeEpochs,
} from "./run_folder.ts";
