/**
 * `--decision` of `predict` and `serve`, worded once for both. Not in flags.ts, which every command imports:
 * naming the engine's choices loads the engine and with it ONNX Runtime's native binding, which the other
 * commands do not need (and the README's klines server, run with only --allow-read --allow-net, reaches
 * flags.ts through cli/collect and then fails for want of --allow-ffi).
 */
import { Option } from "commander";
import { z } from "zod";
import { DECISION_CHOICES } from "../engine/index.ts";

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
