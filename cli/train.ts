import { Command, Option } from "commander";
import { notBuilt } from "./errors.ts";

export function trainCommand(): Command {
  return new Command("train")
    .summary("train a model on a training CSV into a new checkpoint version")
    .option("--data <path>", "training CSV from 'candlecast collect'", "data/training_data.csv")
    .addOption(
      new Option("--model <type>", "model architecture").choices(["transformer_lstm", "lightweight_lstm"])
        .default(
          "transformer_lstm",
        ),
    )
    .option("--batch-size <n>", "samples per gradient step", "32")
    .option("--epochs <n>", "maximum epochs", "100")
    .option("--learning-rate <lr>", "Adam learning rate", "0.001")
    .option("--patience <n>", "epochs without validation improvement before stopping", "10")
    .option("--lookback <n>", "candles per window", "50")
    .option("--horizon <n>", "candles ahead the label looks", "4")
    .option("--checkpoints <dir>", "where versions are stored", "checkpoints")
    .option("--seed <n>", "random seed", "42")
    .option("--incremental", "fine-tune the current model on the newest data")
    .addOption(
      new Option("--backend <name>", "tfjs backend").choices(["auto", "tensorflow", "wasm", "cpu"]).default(
        "auto",
      ),
    )
    .action(() => notBuilt("train", 4));
}
