import assert from "node:assert/strict";
import { classPriors, decideClass, decideClasses } from "./decision.ts";
import { parsePreprocessor } from "./preprocessor.ts";
import { testPreprocessor } from "../test/onnx.ts";

Deno.test("argmax names the most probable class, ties to the lower index", () => {
  assert.equal(decideClass([0.2, 0.5, 0.3], "argmax"), 1);
  assert.equal(decideClass([0.4, 0.2, 0.4], "argmax"), 0);
});

Deno.test("the prior rule names the class rated furthest above its base rate", () => {
  // SIDEWAYS is likeliest, but UP is rated 0.35/0.25 = 1.4× its prior, SIDEWAYS only 0.45/0.5 = 0.9×.
  const p = [0.2, 0.45, 0.35], priors = [0.25, 0.5, 0.25];
  assert.equal(decideClass(p, "argmax"), 1);
  assert.equal(decideClass(p, "prior", priors), 2);
  // Probabilities equal to the priors carry no information: the tie goes to the most probable class, even
  // when float32 rounding makes the ratios differ in the 8th digit.
  assert.equal(decideClass(priors, "prior", priors), 1);
  const rounded = Float32Array.from([0.2345678, 0.4321, 0.3333322]);
  assert.equal(decideClass(rounded, "prior", [0.2345678, 0.4321, 0.3333322]), 1);
});

Deno.test("the prior rule divides by the prior: a rare class rated 1.5× its base rate beats a larger excess", () => {
  // Guards: ranking by p − prior instead of p ÷ prior served UP here, where SPEC §4's rule names DOWN.
  // p ÷ prior = 0.15/0.10 = 1.5 (DOWN), 0.35/0.50 = 0.7, 0.50/0.40 = 1.25 (UP); p − prior would pick UP (+0.10
  // against DOWN's +0.05).
  const p = [0.15, 0.35, 0.50], priors = [0.10, 0.50, 0.40];
  assert.equal(decideClass(p, "prior", priors), 0);
  assert.deepEqual([...decideClasses(Float32Array.from(p), "prior", priors)], [0]);
});

Deno.test("a class with prior 0 is never named by the prior rule", () => {
  assert.equal(decideClass([0.1, 0.2, 0.7], "prior", [0.5, 0.5, 0]), 1);
});

Deno.test("the prior rule without priors is a programming error", () => {
  assert.throws(() => decideClass([0.2, 0.5, 0.3], "prior"), /priors/);
});

Deno.test("decideClasses works row by row; classPriors counts labels", () => {
  const p = Float32Array.from([0.6, 0.3, 0.1, 0.2, 0.45, 0.35]);
  assert.deepEqual([...decideClasses(p, "argmax")], [0, 1]);
  assert.deepEqual([...decideClasses(p, "prior", [0.25, 0.5, 0.25])], [0, 2]);
  assert.deepEqual(classPriors([0, 1, 1, 2]), [0.25, 0.5, 0.25]);
});

Deno.test("preprocessor.json naming the prior rule without the priors it divides by is refused as it is read", () => {
  const stored = { ...testPreprocessor(), decisionRule: "prior" };
  assert.throws(
    () => parsePreprocessor(stored, "v1/preprocessor.json"),
    /^Error: v1\/preprocessor\.json: classPriors: missing, and the decision rule it names \(prior\) divides by them$/,
  );
  assert.deepEqual(parsePreprocessor({ ...stored, classPriors: [0.3, 0.4, 0.3] }).classPriors, [
    0.3,
    0.4,
    0.3,
  ]);
  // Versions from before the rule was stored (argmax, no priors) still read.
  assert.equal(parsePreprocessor(testPreprocessor()).decisionRule, undefined);
});
