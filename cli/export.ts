import { Command } from "commander";
import { notBuilt } from "./errors.ts";

export function exportCommand(): Command {
  return new Command("export")
    .summary("export a model version to ONNX for Microsoft.ML.OnnxRuntime")
    .option("--checkpoint <dir>", "model version to export", "checkpoints/current")
    .option("--output <path>", "ONNX file to write", "trading_model.onnx")
    .action(() => notBuilt("export", 5));
}
