/** candlecast: parses the command line and dispatches to a command; everything else lives in cli/. */
import { runCli } from "./cli/program.ts";

Deno.exit(await runCli(Deno.args));
