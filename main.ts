/** candlecast: parses the command line and dispatches to a command; everything else lives in cli/. */
import { runCli } from "./cli/program.ts";
import { exitWithParent } from "./cli/exit_with_parent.ts";
import { surviveFileSizeLimit } from "./cli/file_size_limit.ts";

surviveFileSizeLimit();
exitWithParent();

Deno.exit(await runCli(Deno.args));
