import assert from "node:assert/strict";
import { DENO_RUN } from "../test/cli.ts";
import { connectionCap, openFileLimit, openFileLimitFromLibc } from "./open_file_limit.ts";

Deno.test("the connection cap stays 128 descriptors below the open-file limit, and is never below one", () => {
  assert.equal(connectionCap(512, null), 512, "an unknown limit leaves --max-connections as it is");
  assert.equal(connectionCap(512, 1024), 512);
  assert.equal(connectionCap(512, 300), 172);
  assert.equal(connectionCap(512, 100), 1);
});

Deno.test("the open-file limit is read without --allow-all (the cli task's permissions), so --max-connections stays below it", async () => {
  // Deno refuses /proc/self/limits without --allow-all; `deno task cli` and the systemd unit grant --allow-read
  // and --allow-ffi, not --allow-all, so the limit used to read as unknown there and the cap was not applied.
  assert.equal(
    openFileLimitFromLibc(),
    openFileLimit(),
    "libc and /proc agree (this test runs with --allow-all)",
  );
  const script = `import { openFileLimit } from ${
    JSON.stringify(new URL("./open_file_limit.ts", import.meta.url).href)
  };
console.log(JSON.stringify(openFileLimit()));`;
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/limit.ts`;
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `ulimit -n 300 && exec "$@"`,
        "bash",
        Deno.execPath(),
        ...DENO_RUN,
        "--allow-read",
        "--allow-ffi",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)), 300);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the open-file limit is looked up with no permission prompt under path-scoped grants, on a terminal",
  // `script` gives the child a terminal, where Deno asks rather than refuses: `docker run -it` under the
  // Dockerfile's serve set stopped at "Deno requests read access to /proc/self/limits" before listening.
  ignore: Deno.build.os !== "linux" || !(await hasScript()),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/limit.ts`;
      const module = new URL("./open_file_limit.ts", import.meta.url);
      await Deno.writeTextFile(
        file,
        `import { openFileLimit } from ${JSON.stringify(module.href)};\n` +
          `console.log("limit:" + JSON.stringify(openFileLimit()));\n`,
      );
      const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
      const deno = [
        Deno.execPath(),
        ...DENO_RUN,
        `--allow-read=${root},${dir}`,
        `--allow-ffi=${dir}`, // scoped as the container's is (ONNX Runtime only): libc is not allowed
        file,
      ].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
      const out = await new Deno.Command("timeout", {
        args: ["10", "script", "-qec", deno, "/dev/null"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.doesNotMatch(text, /Deno requests/, "no permission prompt");
      assert.match(text, /limit:null/);
      assert.equal(out.code, 0, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function hasScript(): Promise<boolean> {
  try {
    const probe = new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" });
    return (await probe.output()).success;
  } catch {
    return false;
  }
}
