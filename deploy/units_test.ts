/**
 * The shipped systemd units keep the limits and hardening issue 13 asks for: a descriptor limit above
 * systemd's 1024, a stop timeout longer than serve's shutdown timeout, a bound on the retrain oneshot, and
 * a read-only system with only the data paths writable.
 */
import assert from "node:assert/strict";

/** `Key=value` lines of a unit's [Service] section (a key given twice keeps both values). */
async function service(name: string): Promise<Map<string, string[]>> {
  const text = await Deno.readTextFile(new URL(name, import.meta.url));
  const section = text.split(/^\[Service\]$/m)[1].split(/^\[/m)[0];
  const keys = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1], [...keys.get(m[1]) ?? [], m[2]]);
  }
  return keys;
}

const seconds = (value: string) => {
  const m = /^(\d+)(s|min|h)?$/.exec(value);
  assert.ok(m, `a duration: ${value}`);
  return Number(m[1]) * ({ s: 1, min: 60, h: 3600 }[m[2] ?? "s"] ?? 1);
};

/**
 * Hardened, writable only where the command writes: serve and monitor only read checkpoints/ (a service
 * that can rewrite the models it serves turns any flaw in it into a swapped model), and files they create
 * are not world-readable (UMask 0027: the predictions log and CSVs hold the bot's symbols and calls).
 */
function hardened(unit: Map<string, string[]>, writes: readonly string[]) {
  assert.ok(Number(unit.get("LimitNOFILE")?.[0]) >= 4096, "LimitNOFILE above systemd's 1024");
  assert.deepEqual(unit.get("NoNewPrivileges"), ["true"]);
  assert.deepEqual(unit.get("ProtectSystem"), ["strict"]);
  assert.deepEqual(unit.get("PrivateTmp"), ["true"]);
  assert.deepEqual(unit.get("UMask"), ["0027"]);
  const writable = (unit.get("ReadWritePaths") ?? []).join(" ").split(/\s+/).filter((p) => p !== "");
  assert.deepEqual(writable.toSorted(), writes.map((w) => `/opt/candlecast/${w}`).toSorted());
}

Deno.test("candlecast-serve.service: hardened, enough descriptors, stop timeout beyond the shutdown timeout", async () => {
  const unit = await service("candlecast-serve.service");
  hardened(unit, ["data"]); // the predictions log; versions are only read, hot reload included
  const exec = unit.get("ExecStart")?.[0] ?? "";
  const shutdown = Number(/--shutdown-timeout (\d+)/.exec(exec)?.[1] ?? 10);
  assert.ok(
    seconds(unit.get("TimeoutStopSec")?.[0] ?? "90") >= shutdown + 5,
    "room to flush after the drain",
  );
});

/** A oneshot with a bound on its run: without one a hung download or training would hold it forever. */
function boundedOneshot(unit: Map<string, string[]>, writes: readonly string[]) {
  hardened(unit, writes);
  assert.deepEqual(unit.get("Type"), ["oneshot"]);
  const start = unit.get("TimeoutStartSec")?.[0];
  assert.ok(start && start !== "infinity" && seconds(start) > 0, "TimeoutStartSec bounds the run");
}

Deno.test("candlecast-retrain@.service: a bounded oneshot, hardened; a stop on request is not a failure", async () => {
  const unit = await service("candlecast-retrain@.service");
  boundedOneshot(unit, ["data", "checkpoints"]); // collect's CSV; the new version and `current`
  // retrain exits 130 when stopped (systemctl stop): nothing promoted, and not a failed unit.
  assert.deepEqual(unit.get("SuccessExitStatus"), ["130"]);
});

Deno.test("candlecast-monitor.service: a bounded oneshot, hardened like the others", async () => {
  boundedOneshot(await service("candlecast-monitor.service"), ["data"]); // collect's CSV; versions only read
});
