import { Command } from "commander";
import { notBuilt } from "./errors.ts";

export function serveCommand(): Command {
  return new Command("serve")
    .summary("serve predictions over HTTP (the C# bot's backend)")
    .description(
      "Serves GET /, /health, /model/info and POST /predict. Set CANDLECAST_API_KEY to require a bearer key.",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", "8000")
    .option("--checkpoint <dir>", "model version to serve", "checkpoints/current")
    .action(() => notBuilt("serve", 6));
}
