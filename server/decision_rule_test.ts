/**
 * SPEC §4: `prediction` is the class named by the version's decision rule, stated in /model/info; `confidence`
 * is that class's calibrated probability. A serve-wide --decision overrides the version's rule.
 */
import assert from "node:assert/strict";
import { CLASSES } from "../features/index.ts";
import { decideClass, type DecisionChoice } from "../engine/index.ts";
import { createApp } from "./app.ts";
import { ModelStore } from "./models/store.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

// Priors under which the prior rule and argmax disagree on the fake model's confident UP/DOWN outputs.
const PRIORS: [number, number, number] = [0.45, 0.1, 0.45];

function appWith(stored: "argmax" | "prior" | undefined, decision?: DecisionChoice, served?: unknown) {
  const store = new ModelStore();
  store.install(
    new FakePredictor({
      preprocessor: { decisionRule: stored, classPriors: PRIORS },
      servedMetrics: served === undefined || stored === undefined
        ? undefined
        : { rule: stored, metrics: served },
    }),
  );
  return createApp(store, { decision, log: () => {} });
}

async function predictAndInfo(app: ReturnType<typeof appWith>, seed: number) {
  const res = await app.request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody("BTCUSDT", 50, seed)),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  const info = await (await app.request("/model/info")).json();
  return { body, info };
}

Deno.test("serve answers with the version's stored rule and states it in /model/info", async () => {
  let disagreements = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const { body, info } = await predictAndInfo(appWith("prior"), seed);
    assert.equal(info.decision, "prior");
    const p = [body.probabilities.down, body.probabilities.sideways, body.probabilities.up];
    const expected = CLASSES[decideClass(p, "prior", PRIORS)];
    assert.equal(body.prediction, expected);
    assert.equal(body.confidence, p[CLASSES.indexOf(expected)]);
    if (expected !== CLASSES[decideClass(p, "argmax")]) disagreements++;
  }
  assert.ok(disagreements > 0, "the test priors never separate the rules; it would prove nothing");
});

Deno.test("a version without a stored rule is served with argmax; --decision overrides the version", async () => {
  assert.equal((await predictAndInfo(appWith(undefined), 1)).info.decision, "argmax");
  assert.equal((await predictAndInfo(appWith("prior", "argmax"), 1)).info.decision, "argmax");
  assert.equal((await predictAndInfo(appWith("argmax", "prior"), 1)).info.decision, "prior");
});

Deno.test("/model/info's test metrics are those of the rule it answers with, and say which", async () => {
  const served = { accuracy: 0.43, macro_f1: 0.4 }; // the fake's argmax figures: { accuracy: 0.5 }
  const info = async (app: ReturnType<typeof appWith>) => {
    const { metrics, metrics_rule, decision } = await (await app.request("/model/info")).json();
    return { metrics, metrics_rule, decision };
  };
  // Before: argmax's figures under "decision": "prior" (for the real v3: macro-F1 0.22, SIDEWAYS 99 %).
  assert.deepEqual(await info(appWith("prior", undefined, served)), {
    metrics: served,
    metrics_rule: "prior",
    decision: "prior",
  });
  assert.deepEqual(await info(appWith("prior", "argmax", served)), {
    metrics: { accuracy: 0.5 },
    metrics_rule: "argmax",
    decision: "argmax",
  });
  // A version that recorded argmax's figures only: shown, labelled as what they are.
  assert.deepEqual(await info(appWith("prior")), {
    metrics: { accuracy: 0.5 },
    metrics_rule: "argmax",
    decision: "prior",
  });
});
