import assert from "node:assert/strict";
import { equalLearners } from "../../test/equal_learners.ts";
import { seededRng } from "../../features/index.ts";
import { heldOutDifference } from "../../ml/evaluate/index.ts";
import { boostingReference, describeDifference } from "./promotion.ts";

Deno.test("a held-out difference in too few blocks of several days is worded as too few to judge", () => {
  // 28 days of 1d windows over five symbols: 4 blocks of 8 days (the newest holds 4), too few to judge (the
  // blocks themselves: ml/evaluate/holdout_test.ts).
  const { set, a, b } = equalLearners(seededRng(3), 28, 1);
  const d = heldOutDifference(set, a, b, 4);
  assert.match(
    describeDifference(d),
    / over windows on 28 days in 4 blocks of 8 days: too few blocks of 8 days to judge \(6 needed\)$/,
  );
});

Deno.test("retrain's boosting reference names the iterations kept, and why none scores as the class shares", () => {
  assert.equal(
    boostingReference({ log_loss: 1.04683, iterations: 37 }),
    "; gradient_boosting log-loss 1.0468, 37 iterations kept",
  );
  // A reference that kept no tree scores as the training class shares: said, or the cron mail reads broken.
  assert.equal(
    boostingReference({ log_loss: 1.0912, iterations: 0 }),
    "; gradient_boosting log-loss 1.0912, 0 iterations kept (no tree improved the validation log-loss, so it " +
      "gives the training class shares, as majority does)",
  );
  assert.equal(boostingReference(null), "");
});
