/** candlecast's own version: what `--version` prints, recorded by train, evaluate and the ONNX export. */
export const VERSION = "0.1.0";
