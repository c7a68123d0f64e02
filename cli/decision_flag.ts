/**
 * `--decision` of `predict` and `serve`, worded once for both, beside the engine's rules it names (flags.ts
 * holds only value schemas that know nothing of the engine).
 */
import { Option } from "commander";
import { z } from "zod";
import {
  CheckpointError,
  DECISION_CHOICES,
  type DecisionChoice,
  effectiveRule,
  type Predictor,
} from "../engine/index.ts";

/** `--decision` of `predict` and `serve`: the rule a stated `prediction` follows, worded once for both. */
export function decisionOption(): Option {
  return new Option(
    "--decision <rule>",
    "how `prediction` is chosen: the version's own rule (train stores prior), argmax, or prior " +
      "(the class with the largest probability ÷ its training frequency)",
  ).choices([...DECISION_CHOICES]).default("version");
}

/** The parsed `--decision` (see `decisionOption`). */
export const decisionFlag = () => z.enum(DECISION_CHOICES).default("version");

/** The `prior` rule needs the class priors `train` stores; an older version without them is refused at load. */
export function requireDecision(predictor: Predictor, choice: DecisionChoice): Predictor {
  const p = predictor.info.preprocessor;
  if (effectiveRule(choice, p.decisionRule) === "prior" && !p.classPriors) {
    void predictor.close();
    throw new CheckpointError(
      `${predictor.info.version} has no class priors, which --decision prior needs`,
      "retrain it with this candlecast, or serve it with --decision argmax",
    );
  }
  return predictor;
}
