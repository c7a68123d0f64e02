/** candlecast: parses the command line and dispatches to a command; everything else lives in cli/. */
import { holdHangUpsFromStart } from "./cli/serve/hang_ups.ts";
import { surviveFileSizeLimit } from "./cli/file_size_limit.ts";

// serve takes a HUP as "look at --checkpoint now", but until its listener is in place the default action
// ended it (exit 129, no line, and systemd's Restart=on-failure does not restart that). Loading the program
// takes a second or more on a busy host, so the HUP is held before it loads: the program is imported by a
// computed name, which Deno does not load ahead with main.ts (a literal import was, and the HUP still killed
// it), and hang_ups.ts imports nothing. `deno compile` takes the program in with --include.
if (Deno.args[0] === "serve") holdHangUpsFromStart();
// Not a template literal either: Deno loads every file a `./cli/${…}` pattern could name ahead, tests too.
// Imported so, the program's files need read permission (a literal import needed none): a narrowed
// --allow-read without candlecast's own folder is said as candlecast says a failure, not as Deno's trace.
const late = (file: string) =>
  import(["./cli", file].join("/")).catch((error) => {
    const folder = new URL(".", import.meta.url).pathname;
    console.error(
      `candlecast: cannot load its own program (${file}): ${
        error instanceof Error ? error.message : error
      }\n` +
        `hint: give Deno read access to ${folder} (add it to --allow-read)`,
    );
    Deno.exit(2);
  });
const program: typeof import("./cli/program.ts") = await late("program.ts");
const { exitWithParent }: typeof import("./cli/exit_with_parent.ts") = await late("exit_with_parent.ts");

surviveFileSizeLimit();
exitWithParent();

Deno.exit(await program.runCli(Deno.args));
