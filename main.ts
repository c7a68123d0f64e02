/** candlecast: parses the command line and dispatches to a command; everything else lives in cli/. */
import { runCli } from "./cli/program.ts";
import { exitWithParent } from "./cli/exit_with_parent.ts";

exitWithParent();

Deno.exit(await runCli(Deno.args));
