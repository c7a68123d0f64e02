import assert from "node:assert/strict";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { sha256Hex } from "./manifest.ts";
import { CheckpointError, readCheckpointFiles, verifyCheckpointFiles } from "./checkpoint_files.ts";
import { loadPredictor } from "./onnx_predictor.ts";

/** A stand-in version whose manifest lists its files' sha256, as `train` writes them. */
async function hashedCheckpoint(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_hashes_" });
  await writeStandInCheckpoint(dir, { version: "v4_2024-04-04" });
  const files: Record<string, string> = {};
  for (const name of ["model.onnx", "preprocessor.json", "metrics.json"]) {
    files[name] = await sha256Hex(await Deno.readFile(join(dir, name)));
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, files }));
  return dir;
}

const refusesNaming = (name: string) => (error: Error) => {
  assert.ok(error instanceof CheckpointError, String(error));
  assert.match(
    error.message,
    new RegExp(`/${name.replace(".", "\\.")}: does not match the sha256 in .*manifest\\.json`),
  );
  assert.match(error.hint!, /models list/);
  return true;
};

Deno.test("engine: a version loads only while its files hash as the manifest says (serve, predict)", async () => {
  const dir = await hashedCheckpoint();
  const predictor = await loadPredictor(dir);
  await predictor.close();

  // model.onnx swapped for another valid model: it loads fine on ONNX Runtime, so only the hash can tell.
  const other = await Deno.makeTempDir({ prefix: "candlecast_other_" });
  await writeStandInCheckpoint(other, { version: "v9_2024-09-09", lookback: 20 });
  const original = await Deno.readFile(join(dir, "model.onnx"));
  await Deno.copyFile(join(other, "model.onnx"), join(dir, "model.onnx"));
  await assert.rejects(loadPredictor(dir), refusesNaming("model.onnx"));

  // Truncated (an interrupted copy).
  await Deno.writeFile(join(dir, "model.onnx"), original.subarray(0, 100));
  await assert.rejects(readCheckpointFiles(dir), refusesNaming("model.onnx"));

  await Deno.writeFile(join(dir, "model.onnx"), original);
  await Deno.writeTextFile(join(dir, "preprocessor.json"), " ", { append: true });
  await assert.rejects(readCheckpointFiles(dir), refusesNaming("preprocessor.json"));
  await assert.rejects(verifyCheckpointFiles(dir), refusesNaming("preprocessor.json"));
  await verifyCheckpointFiles(dir, ["model.onnx", "metrics.json"]);

  await Deno.remove(dir, { recursive: true });
  await Deno.remove(other, { recursive: true });
});

Deno.test("engine: a hand-made folder without hashes still loads (nothing to check against)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_nohash_" });
  await writeStandInCheckpoint(dir);
  const files = await readCheckpointFiles(dir);
  assert.equal(files.version, "v1_2024-01-01");
  await Deno.remove(dir, { recursive: true });
});
