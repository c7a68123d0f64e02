/**
 * `candlecast predict --input request.json`: the one-off form of POST /predict (or /predict/batch when the
 * file holds {"requests": [...]}). Prints the response JSON; bad input exits 2 with the API's own message.
 */
import { Command } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { z } from "zod";
import { loadPredictor } from "../engine/index.ts";
import { withoutBom } from "../features/index.ts";
import { parseJsonText, plural, writeStderrLine } from "../base/index.ts";
import {
  DEFAULT_BODY_LIMIT,
  HttpError,
  isBatchBody,
  parseBatchEnvelope,
  predictBodies,
  readJsonBody,
} from "../server/index.ts";
import { CommandError, UsageError } from "./errors.ts";
import { decisionFlag, decisionOption, requireDecision } from "./decision_flag.ts";
import { flag, parseFlags, requireInput } from "./flags.ts";
import { requireCheckpoint } from "./checkpoint_flag.ts";

const PredictFlags = z.object({
  input: z.string().min(1, "expected a JSON file"),
  checkpoint: z.string().min(1, "expected a checkpoint folder"),
  threads: flag.positiveInt(),
  decision: decisionFlag(),
});
export type PredictOptions = z.infer<typeof PredictFlags>;

const INPUT_HINT =
  'name a JSON file holding a POST /predict body: {"symbol": …, "candles": [ at least lookback candles ]}';

export function predictCommand(): Command {
  return new Command("predict")
    .summary("predict once from a POST /predict or /predict/batch body (a JSON file, or - for stdin)")
    .description(
      'The file holds a POST /predict body ({"symbol": …, "candles": [≥ lookback candles]}) or a batch\n' +
        '({"requests": [<body>, …]}); the response JSON is printed. Invalid input exits 2 with the message\n' +
        "the HTTP API would return.",
    )
    .option(
      "--input <path>",
      "JSON file with a /predict or /predict/batch request body, or - for standard input",
      "request.json",
    )
    .option("--checkpoint <dir>", "model version to use", DEFAULTS.currentVersion)
    .option("--threads <n>", "ONNX Runtime threads per prediction", "1")
    .addOption(decisionOption())
    .action(async (raw) => {
      const options = parseFlags("predict", PredictFlags, raw);
      if (options.input !== STDIN) requireInput("--input", options.input, INPUT_HINT, "file");
      await requireCheckpoint("--checkpoint", options.checkpoint);
      await predict(options);
    });
}

/** `--input -`: the body comes on standard input (a pipe from the bot's tooling, a here-document). */
const STDIN = "-";

/** How a hint names the input: its path, or standard input for `--input -`. */
const inputName = (path: string) => (path === STDIN ? "the JSON on standard input" : path);

/** The first `limit` bytes of `readable` (all of it when shorter); the rest is left unread and the stream let go. */
async function readAtMost(readable: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, limit - size));
      size += Math.min(value.length, limit - size);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) bytes.set(c, at), at += c.length;
  return bytes;
}

async function readBody(path: string): Promise<unknown> {
  let text: string;
  let over = false;
  try {
    // Typed at a terminal rather than piped in, the body ends with Ctrl-D: say so rather than wait in silence.
    if (path === STDIN && Deno.stdin.isTerminal()) {
      writeStderrLine("reading the request body (JSON) from standard input; end it with Ctrl-D");
    }
    // At most a byte past the API's limit: /dev/zero or a runaway pipe grew to 4.8 GB in 16 s, read whole
    // before the limit was looked at. What is read is then refused in the API's 413 words below.
    const readable = path === STDIN ? Deno.stdin.readable : (await Deno.open(path)).readable;
    const bytes = await readAtMost(readable, DEFAULT_BODY_LIMIT + 1);
    over = bytes.length > DEFAULT_BODY_LIMIT;
    // The BOM kept (readJsonBody drops it as serve does): stripped here, a body 2 bytes over the limit passed
    // its size check cut off, and was refused as "not valid JSON".
    text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`--input: ${path} does not exist`, INPUT_HINT);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`--input: ${path} is a folder, not a file`, INPUT_HINT);
    }
    throw new CommandError(
      `cannot read ${path}: ${(error as Error).message}`,
      "check that the file is readable",
    );
  }
  // Past the limit, the size is what is wrong with it, blank or not.
  if (!over && withoutBom(text).trim() === "") {
    throw new UsageError(
      `--input: ${inputName(path)} is empty`,
      path === STDIN
        ? "pipe a /predict body into it, e.g. 'candlecast predict --input - < request.json'"
        : `write a /predict body (JSON) into ${path}`,
    );
  }
  // Read as serve reads a body, with the API's limits (1 MiB, 20,000 objects and arrays) refused in its 413
  // words: predict took a 1.7 MB batch that the bot's serve refuses, and said of a too-deep one what was wrong
  // with its candles. Any other refusal falls to the words below, which say more of a file than of a request.
  try {
    return await readJsonBody(
      // A string body is text/plain by default, which the API would refuse first (415).
      new Request("http://predict.invalid/", {
        method: "POST",
        body: text,
        headers: { "content-type": "application/json" },
      }),
    );
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) {
      throw new UsageError(
        `--input: ${inputName(path)}: ${error.detail}`,
        "the HTTP API refuses it too (413): send fewer requests or candles in one body",
      );
    }
  }
  try {
    // A byte order mark (.NET's Encoding.UTF8 writes one) is dropped, as serve's Request.json() drops it; bare
    // NaN/Infinity values are read as serve reads them (refused by field name below, not as malformed JSON).
    return parseJsonText(withoutBom(text));
  } catch (error) {
    // A CSV of candles is the likeliest wrong file: say what predict reads, not only that it is broken.
    const csv = /\.(csv|tsv|txt)$/i.test(path) || /^[\w ]+(,[\w ]+){3,}\r?$/m.test(text.split("\n", 1)[0]);
    throw new UsageError(
      `--input: ${inputName(path)} is not valid JSON (${(error as Error).message})`,
      csv
        ? 'predict reads a /predict body in JSON ({"symbol": …, "candles": [{"open": …}, …]}), not a CSV; ' +
          "see docs/api.md for the body"
        : `fix ${inputName(path)}: predict reads a /predict (or /predict/batch) body in JSON`,
    );
  }
}

export async function predict(
  options: PredictOptions,
  print = (text: string) => console.log(text),
): Promise<void> {
  const body = await readBody(options.input);
  const batch = isBatchBody(body);
  const items = batch ? parseBatchEnvelope(body) : { ok: true as const, value: [body] };
  if (!items.ok) throw new UsageError(items.detail, `fix ${inputName(options.input)}`);

  const predictor = requireDecision(
    await loadPredictor(options.checkpoint, { threads: options.threads }),
    options.decision,
  );

  try {
    const prefixes = items.value.map((_, i) => batch ? `requests[${i}]` : "");
    // No server runs here: a candle that has not closed is one after this machine's clock.
    const outcomes = await predictBodies(
      predictor,
      items.value,
      prefixes,
      options.decision,
      Date.now(),
      "this machine's clock",
    );
    const failures = outcomes.flatMap((o) => o.ok ? [] : [o.failure.detail]);
    if (!batch) {
      const [outcome] = outcomes;
      if (!outcome.ok) throw new UsageError(outcome.failure.detail, `fix ${inputName(options.input)}`);
      print(JSON.stringify(outcome.response, null, 2));
      return;
    }
    print(JSON.stringify({ predictions: outcomes.map((o) => o.ok ? o.response : o.failure) }, null, 2));
    if (failures.length > 0) {
      const printed = outcomes.length - failures.length;
      throw new UsageError(
        `${failures.length} of ${plural(outcomes.length, "request")} failed; the first: ${failures[0]}`,
        `fix ${inputName(options.input)}` +
          (printed === 0
            ? ""
            : `; the ${printed === 1 ? "other prediction was" : "other predictions were"} printed`),
      );
    }
  } finally {
    await predictor.close();
  }
}
