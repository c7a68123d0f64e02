import { Command } from "commander";
import { notBuilt } from "./errors.ts";

export function predictCommand(): Command {
  return new Command("predict")
    .summary("predict once from a JSON file holding a POST /predict body")
    .option("--input <path>", "JSON file with a /predict request body", "request.json")
    .option("--checkpoint <dir>", "model version to use", "checkpoints/current")
    .action(() => notBuilt("predict", 6));
}
