/**
 * Saves and loads tfjs models as `model.json` + `weights.bin` in a folder (SPEC §7), over node:fs: tfjs's own
 * `file://` handler exists only in tfjs-node. Files are written atomically. Importing this module registers the
 * custom layers, so `loadModel` can rebuild any model `buildModel` made.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { z } from "zod";
import { readRegularFile, readRegularTextFile, ReportedError, writeFileAtomic } from "../../base/index.ts";
import "../layers/index.ts";

/** The model's topology and weight manifest, in a version folder. */
export const MODEL_JSON = "model.json";
/** The model's weights, one binary file beside model.json. */
export const WEIGHTS_BIN = "weights.bin";

/**
 * What `load` needs of model.json, checked before tfjs reads it: a topology, and weight files named as plain
 * file names beside it (a name with a folder in it, `../x`, would be read from outside the version).
 */
const ModelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({
      paths: z.array(z.string().regex(/^[^/\\]+$/, "must be a file name beside model.json")).min(1),
      weights: z.array(z.object({ name: z.string(), shape: z.array(z.number()), dtype: z.string() }).loose()),
    }).loose(),
  ),
}).loose();

/** The folder cannot be read as a model: says which file and why. */
export class ModelFileError extends ReportedError {
  override name = "ModelFileError";
}

/**
 * A model file that could not be read: a missing one said as such ("…/model.json is missing"), not in the
 * system's words (export printed "ENOENT: no such file or directory, open '…'").
 */
function readError(path: string, error: unknown): ModelFileError {
  return new ModelFileError(
    error instanceof Deno.errors.NotFound
      ? `${path} is missing`
      : `cannot read ${path}: ${(error as Error).message}`,
  );
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data);
}

/** An IOHandler over a folder: `model.save(fileSystemIO(dir))`, `tf.loadLayersModel(fileSystemIO(dir))`. */
export function fileSystemIO(dir: string): tf.io.IOHandler {
  const jsonPath = join(dir, MODEL_JSON);
  const weightsPath = join(dir, WEIGHTS_BIN);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ModelFileError("only layers models (JSON topology) can be saved");
      }
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      // Weights first: a model.json is only ever beside the weights it describes.
      await writeFileAtomic(weightsPath, weightBytes(artifacts.weightData));
      await writeFileAtomic(jsonPath, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let raw: unknown;
      try {
        raw = JSON.parse(await readRegularTextFile(jsonPath));
      } catch (error) {
        throw readError(jsonPath, error);
      }
      const parsed = ModelJsonSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ModelFileError(
          `${jsonPath} is not a tfjs layers model (${issue.path.join(".") || "the file"}: ${issue.message})`,
        );
      }
      // The fields tfjs reads are checked above; the rest (format, versions) it reads as it likes.
      const modelJson = parsed.data as unknown as tf.io.ModelJSON;
      return await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(
          manifest.flatMap((group) => group.paths).map(async (name) => {
            const path = join(dir, name);
            try {
              const bytes = await readRegularFile(path);
              return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
            } catch (error) {
              throw readError(path, error);
            }
          }),
        );
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/**
 * Writes `model` into folder `dir` (made if missing) as model.json + weights.bin, each atomically, weights
 * first.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemIO(dir));
}

/** The model saved in `dir`, custom layers included; a file that cannot be read throws a ModelFileError. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return await tf.loadLayersModel(fileSystemIO(dir));
}
