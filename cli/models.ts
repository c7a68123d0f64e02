import { Command } from "commander";
import { notBuilt } from "./errors.ts";

export function modelsCommand(): Command {
  const models = new Command("models").summary("list model versions, promote one, or roll back");
  models.command("list").description("list versions with their test metrics").option(
    "--checkpoints <dir>",
    "where versions are stored",
    "checkpoints",
  ).action(() => notBuilt("models list", 4));
  models.command("promote").argument("<version>", "version to serve, e.g. v3_2026-11-24").description(
    "point 'current' at VERSION",
  ).option("--checkpoints <dir>", "where versions are stored", "checkpoints").action(() =>
    notBuilt("models promote", 4)
  );
  models.command("rollback").description("point 'current' back at the previously served version").option(
    "--checkpoints <dir>",
    "where versions are stored",
    "checkpoints",
  ).action(() => notBuilt("models rollback", 4));
  return models;
}
