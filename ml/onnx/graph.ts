/**
 * A small ONNX graph builder over the protobufjs classes of `onnx-proto`: values are plain names, nodes are
 * named after the scope that made them, and every float initializer is stored as little-endian raw data
 * (compact, and what ONNX Runtime reads without conversion). IR 8, opset 17: what ONNX Runtime 1.23 and
 * Microsoft.ML.OnnxRuntime both run, and the first opset with LayerNormalization. A graph that uses an operator of
 * the `ai.onnx.ml` domain (a blend's TreeEnsembleRegressor) imports that domain's opset 3 too; others do not,
 * so their bytes are as before.
 */
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";

// The package is CommonJS: its namespace arrives as the default export.
const onnx = onnxProto.onnx;
export type { Onnx };

/** The ONNX IR version written: 8, which ONNX Runtime 1.23 and Microsoft.ML.OnnxRuntime both read. */
export const IR_VERSION = 8;
/** The ONNX opset: 17, the first with LayerNormalization. */
export const OPSET = 17;
/** The `ai.onnx.ml` domain (tree ensembles), imported only by graphs that use it. */
export const ML_DOMAIN = "ai.onnx.ml";
/** Its opset: 3, whose TreeEnsembleRegressor ONNX Runtime 1.23 and Microsoft.ML.OnnxRuntime both run. */
export const ML_OPSET = 3;
const DOMAIN_OPSETS: Readonly<Record<string, number>> = { [ML_DOMAIN]: ML_OPSET };

/** A tensor dimension: a size, or a name for a dimension fixed only at run time ("batch"). */
export type Dim = number | string;

export type ElemType = "float32" | "int64";

const DATA_TYPE: Record<ElemType, Onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A typed attribute value; ONNX distinguishes int from float, so the caller says which. */
export type Attr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly strings: readonly string[] };

export const attr = {
  int: (value: number): Attr => ({ int: value }),
  float: (value: number): Attr => ({ float: value }),
  ints: (value: readonly number[]): Attr => ({ ints: value }),
  floats: (value: readonly number[]): Attr => ({ floats: value }),
  string: (value: string): Attr => ({ string: value }),
  strings: (value: readonly string[]): Attr => ({ strings: value }),
};

export interface NodeOptions {
  readonly attrs?: Readonly<Record<string, Attr>>;
  /** Node name; its outputs are named after it. Defaults to `<scope>/<opType>_<n>`. */
  readonly name?: string;
  /** How many outputs the node has (default 1), or their exact names. */
  readonly outputs?: number | readonly string[];
  /** The operator's domain when not the default one: `ML_DOMAIN` (its opset is then imported). */
  readonly domain?: string;
}

export interface ModelOptions {
  readonly docString: string;
  readonly producerVersion: string;
  /** metadata_props, read by consumers such as Microsoft.ML.OnnxRuntime's `ModelMetadata.CustomMetadataMap`. */
  readonly metadata: Readonly<Record<string, string>>;
}

const textEncoder = new TextEncoder();

function attributeProto(name: string, value: Attr): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: T.INT, i: value.int };
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  if ("ints" in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ("floats" in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ("strings" in value) {
    return {
      name,
      type: T.STRINGS,
      strings: value.strings.map((v) => textEncoder.encode(v)),
    };
  }
  return { name, type: T.STRING, s: textEncoder.encode(value.string) };
}

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[elemType],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function rawBytes(data: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays use the platform's byte order; ONNX raw_data is little-endian, as is every platform we ship.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/**
 * One ONNX graph under construction: inputs, initializers and nodes under scoped unique names, outputs
 * declared, and `toModel` for the finished ModelProto.
 */
export class GraphBuilder {
  readonly #nodes: Onnx.INodeProto[] = [];
  readonly #initializers: Onnx.ITensorProto[] = [];
  readonly #inputs: Onnx.IValueInfoProto[] = [];
  readonly #outputs: Onnx.IValueInfoProto[] = [];
  readonly #names = new Set<string>();
  readonly #counters = new Map<string, number>();
  readonly #domains = new Set<string>();
  #scope: string[] = [];

  constructor(readonly name: string) {}

  /** Runs `build` with node and initializer names prefixed by `prefix/` (nested scopes join with `/`). */
  scoped<T>(prefix: string, build: () => T): T {
    this.#scope.push(prefix);
    try {
      return build();
    } finally {
      this.#scope.pop();
    }
  }

  /** A fresh name under the current scope: `scope/base`, or `scope/base_2` when taken. */
  uniqueName(base: string): string {
    const full = [...this.#scope, base].join("/");
    if (!this.#names.has(full)) return this.#claim(full);
    let n = this.#counters.get(full) ?? 1;
    while (this.#names.has(`${full}_${++n}`));
    this.#counters.set(full, n);
    return this.#claim(`${full}_${n}`);
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`ONNX graph: the name '${name}' is used twice`);
    this.#names.add(name);
    return name;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), elemType, dims));
    return name;
  }

  /** Declares an existing value as a graph output with its documented shape. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    if (!this.#names.has(name)) throw new Error(`ONNX graph: output '${name}' is not produced by any node`);
    this.#outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer (weights, constants); `dims` must multiply to `data.length`. */
  floats(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) {
      throw new Error(`ONNX graph: initializer '${name}' has ${values.length} values for shape [${dims}]`);
    }
    const full = this.uniqueName(name);
    this.#initializers.push({
      name: full,
      dims: [...dims],
      dataType: DATA_TYPE.float32,
      rawData: rawBytes(values),
    });
    return full;
  }

  /** A 1-D int64 initializer (shapes, axes, slice bounds). */
  int64s(name: string, values: readonly number[]): string {
    const full = this.uniqueName(name);
    this.#initializers.push({
      name: full,
      dims: [values.length],
      dataType: DATA_TYPE.int64,
      rawData: rawBytes(BigInt64Array.from(values, (v) => BigInt(v))),
    });
    return full;
  }

  /** Appends a node and returns its output names (one per output). */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    for (const input of inputs) {
      if (input !== "" && !this.#names.has(input)) {
        throw new Error(`ONNX graph: ${opType} reads '${input}', which nothing produces`);
      }
    }
    const name = options.name !== undefined ? this.#claim(options.name) : this.uniqueName(opType);
    const spec = options.outputs ?? 1;
    const outputs = typeof spec === "number"
      ? Array.from({ length: spec }, (_, i) => (i === 0 ? name : this.#claim(`${name}:${i}`)))
      : spec.map((o) => (o === name ? o : this.#claim(o)));
    if (options.domain !== undefined) {
      if (!(options.domain in DOMAIN_OPSETS)) {
        throw new Error(`ONNX graph: no opset known for ${options.domain}`);
      }
      this.#domains.add(options.domain);
    }
    this.#nodes.push({
      name,
      opType,
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attrs ?? {}).map(([key, value]) => attributeProto(key, value)),
    });
    return outputs;
  }

  toModel(options: ModelOptions): Onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [
        { domain: "", version: OPSET },
        ...[...this.#domains].map((domain) => ({ domain, version: DOMAIN_OPSETS[domain] })),
      ],
      producerName: "candlecast",
      producerVersion: options.producerVersion,
      graph: {
        name: this.name,
        docString: options.docString,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

/** The model's protobuf bytes (a model.onnx file's content). */
export function encodeModel(model: Onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Parses model.onnx bytes back into a ModelProto (tests and tools inspect exported graphs with it). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/**
 * Whether `head` (a file's first bytes, 16 are enough) begins as every model candlecast writes: protobuf writes
 * fields in number order, so ir_version then producer_name "candlecast" come first. Lets `export` tell its own
 * earlier output, whatever its name, from a file it must not replace.
 *
 * @example
 * ```ts
 * isCandlecastModelHead(encodeModel(builder.toModel(options)).subarray(0, 16)); // true
 * ```
 */
export function isCandlecastModelHead(head: Uint8Array): boolean {
  const expected = encodeModel({ irVersion: IR_VERSION, producerName: "candlecast" });
  return head.length >= expected.length && expected.every((b, i) => head[i] === b);
}
