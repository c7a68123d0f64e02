/**
 * Running a command without root's reach past permission bits, for tests of what another user's files do: as
 * root, setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set and every inheritable (so
 * ambient) capability, which would otherwise carry them across the exec.
 */
import { join } from "node:path";

/** setpriv's arguments before the command run without root's reach. */
export const DROP_ROOTS_REACH = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--"];

/**
 * Null when setpriv really leaves root unable to write a folder it may not write here; else why not (not root on
 * Linux, no setpriv, or capabilities that cannot be dropped: no CAP_SETPCAP, a seccomp profile refusing prctl),
 * for a test to skip with. Not `setpriv --help`: a setpriv that could not drop them failed such tests for a
 * reason that had nothing to do with what they test.
 */
export function rootsReachNotDropped(): string | null {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return "not root on Linux";
  const setpriv = (command: string[]) => {
    try {
      return new Deno.Command("setpriv", {
        args: [...DROP_ROOTS_REACH, ...command],
        stdout: "null",
        stderr: "null",
      })
        .outputSync().success;
    } catch {
      return null; // no setpriv
    }
  };
  const runs = setpriv(["true"]);
  if (runs === null) return "setpriv is not installed";
  if (!runs) {
    return `'setpriv ${DROP_ROOTS_REACH.join(" ")} true' fails here (capabilities cannot be dropped)`;
  }
  const probe = Deno.makeTempDirSync({ prefix: "candlecast-setpriv-probe-" });
  try {
    Deno.chmodSync(probe, 0o555);
    if (setpriv(["mkdir", join(probe, "x")])) {
      return `under 'setpriv ${DROP_ROOTS_REACH.join(" ")}', root still writes a folder of mode 0555`;
    }
    return null;
  } finally {
    Deno.chmodSync(probe, 0o755);
    Deno.removeSync(probe, { recursive: true });
  }
}
