/**
 * One ensemble member's weights (plain arrays by layer name, as workers send them) in ONE file, so a run
 * folder writes a member's best weights with a single atomic rename: a kill can never pair one epoch's
 * topology with another's weights. Layout: "CCW1", a little-endian u32 header length, the JSON header
 * (layer names, shapes), then every array's float32 values in header order.
 */
import { z } from "zod";
import type { LayerWeights } from "../../../ml/train/index.ts";

const MAGIC = "CCW1";

const HeaderSchema = z.record(z.string(), z.array(z.array(z.number().int().nonnegative())));

export function encodeWeights(weights: LayerWeights): Uint8Array {
  const header: Record<string, number[][]> = {};
  let floats = 0;
  for (const [name, ws] of Object.entries(weights)) {
    header[name] = ws.map((w) => w.shape);
    for (const w of ws) floats += w.values.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + 4 * floats);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  // DataView with an explicit byte order: the file reads the same on any machine.
  const view = new DataView(bytes.buffer);
  let at = 8 + json.length;
  for (const ws of Object.values(weights)) {
    for (const w of ws) {
      for (let i = 0; i < w.values.length; i++, at += 4) view.setFloat32(at, w.values[i], true);
    }
  }
  return bytes;
}

/**
 * A file that is not one of these, or no longer whole: `why` says what is wrong with it, for the run folder to
 * report the run as damaged (it reached the user as "unexpected failure … this is a bug").
 */
export class WeightsFileError extends Error {
  override name = "WeightsFileError";
  constructor(what: string, readonly why: string) {
    super(`${what} is not a member weights file (${why})`);
  }
}

/**
 * The weights in `bytes`; throws a WeightsFileError naming `what` when the file is not one of these, is cut
 * short, or holds a value that is not a finite number (a member's saved best never does: a NaN score never
 * improves, so such weights are never saved — a resume from them reported "the training loss became NaN at
 * epoch 1", blaming the learning rate).
 */
export function decodeWeights(bytes: Uint8Array, what: string): LayerWeights {
  const bad = (why: string) => new WeightsFileError(what, why);
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) throw bad("no header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(4, true);
  if (8 + length > bytes.length) throw bad("header cut short");
  let header: z.infer<typeof HeaderSchema>;
  try {
    header = HeaderSchema.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))));
  } catch {
    throw bad("unreadable header");
  }
  const out: LayerWeights = {};
  let at = 8 + length;
  for (const [name, shapes] of Object.entries(header)) {
    out[name] = shapes.map((shape) => {
      const count = shape.reduce((a, b) => a * b, 1);
      if (at + 4 * count > bytes.length) throw bad("values cut short");
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++, at += 4) values[i] = view.getFloat32(at, true);
      if (!values.every(Number.isFinite)) throw bad(`layer ${name} holds values that are NaN or infinite`);
      return { shape, values };
    });
  }
  if (at !== bytes.length) throw bad("trailing bytes");
  return out;
}
