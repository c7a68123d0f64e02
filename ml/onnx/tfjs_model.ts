/**
 * A tfjs functional model → the body of an ONNX graph. Walks the model's layers in their (topological) order,
 * converts each with its class's converter and wires values by tfjs's symbolic tensors, so any depth or width
 * of the two candlecast architectures exports without exporter changes. Outputs follow `ml/models`' contract:
 * class_logits, regression, then attention when the model has it.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Body } from "./frame.ts";
import { type ConvertContext, LAYER_CONVERTERS } from "./tfjs_layers.ts";

type Symbolic = tf.SymbolicTensor;

const list = (x: Symbolic | Symbolic[]): Symbolic[] => (Array.isArray(x) ? x : [x]);

export function tfjsBody(model: tf.LayersModel, ctx: ConvertContext = {}): Body {
  if (model.inputs.length !== 1) {
    throw new Error(`ONNX export: expected one model input, got ${model.inputs.length}`);
  }
  if (model.outputs.length < 2 || model.outputs.length > 3) {
    throw new Error(
      `ONNX export: expected outputs class_logits, regression[, attention], got ${model.outputs.length} outputs`,
    );
  }
  return (g, scaled) => {
    const values = new Map<number, string>([[model.inputs[0].id, scaled]]);
    const valueOf = (t: Symbolic) => {
      const v = values.get(t.id);
      if (v === undefined) throw new Error(`ONNX export: tensor '${t.name}' is used before it is computed`);
      return v;
    };
    for (const layer of model.layers) {
      const className = layer.getClassName();
      if (className === "InputLayer") continue;
      const convert = LAYER_CONVERTERS[className];
      if (!convert) {
        throw new Error(
          `ONNX export: layer '${layer.name}' is a ${className}, which the exporter cannot convert ` +
            `(known: ${Object.keys(LAYER_CONVERTERS).join(", ")})`,
        );
      }
      const inputs = list(layer.input).map((t) => ({ value: valueOf(t), shape: t.shape }));
      const outputs = g.scoped(layer.name, () => convert(g, layer, inputs, ctx));
      const symbolic = list(layer.output);
      if (outputs.length !== symbolic.length) {
        throw new Error(
          `ONNX export: layer '${layer.name}' gave ${outputs.length} outputs, tfjs has ${symbolic.length}`,
        );
      }
      symbolic.forEach((t, i) => values.set(t.id, outputs[i]));
    }
    const [logits, regression, attention] = model.outputs.map(valueOf);
    return { logits, regression, attention: attention ?? null };
  };
}
