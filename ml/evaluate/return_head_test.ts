import assert from "node:assert/strict";
import {
  noChangeRatio,
  rankCorrelationCell,
  rankNoise,
  returnColumnsNote,
  returnHeadWords,
} from "./return_head.ts";

// The 1h 2023-Q4 quarter the s47 reading measured (bench/RESULTS.md, "expected_return").
const quarter = {
  windows: 10_840,
  regression_mae: 0.00971,
  no_change_mae: 0.00968,
  return_rank_correlation: 0.021,
};

Deno.test("the return head's words say it is no better than predicting no change when its MAE is higher", () => {
  // Before: train and evaluate printed "return MAE 0.00971" alone, which reads like skill; 0 scores 0.00968.
  // And "+0.021 (beyond ±0.019 …)", where the run's own blocks gave −0.015 … +0.056 (a numbers audit).
  assert.equal(
    returnHeadWords(quarter),
    "return head (expected_return): MAE 0.00971 against 0.00968 for predicting no change (0.3 % higher: no " +
      "better than predicting no change); rank correlation with the realised return +0.021 (outside ±0.019, " +
      "what chance reaches on 10,840 independent windows, but overlapping windows and symbols that move " +
      "together let chance reach up to about 3 times as far: not by itself evidence that it ranks returns)",
  );
  assert.equal(noChangeRatio(quarter), "1.003");
  // 1h 2023-Q3: a negative rank correlation within chance's reach is said to be no evidence.
  assert.match(
    returnHeadWords({ ...quarter, return_rank_correlation: -0.0151 }),
    / -0\.015 \(within ±0\.019, what chance reaches on 10,840 independent windows: no evidence it ranks returns\)$/,
  );
});

Deno.test("a lower MAE is called better, with no interval, and a rank correlation far past chance may rank returns", () => {
  // 4h 2020-Q1: MAE 0.03074 against 0.03109, rank correlation +0.189 on 1,500 windows (reach ±0.052).
  const m = {
    windows: 1_500,
    regression_mae: 0.03074,
    no_change_mae: 0.03109,
    return_rank_correlation: 0.189,
  };
  assert.equal(
    returnHeadWords(m),
    "return head (expected_return): MAE 0.03074 against 0.03109 for predicting no change (1.1 % lower: " +
      "better than predicting no change on these windows, with no interval); rank correlation with the " +
      "realised return +0.189 (beyond ±0.052, what chance reaches on 1,500 independent windows, and 3 " +
      "times that, about as far as overlapping windows let chance reach (measured at horizon 4; longer " +
      "horizons reach further): it may rank returns on these windows, with no interval)",
  );
  assert.equal(noChangeRatio(m), "0.989");
});

Deno.test("a lower MAE within 1 % of predicting no change is level, not better (0.1 % read 'better')", () => {
  // 6h 2023-Q4 (bench/RESULTS.md, "expected_return"): 0.02524 against 0.02527.
  const m = { windows: 1_755, regression_mae: 0.02524, no_change_mae: 0.02527 };
  assert.equal(
    returnHeadWords(m),
    "return head (expected_return): MAE 0.02524 against 0.02527 for predicting no change (0.1 % lower: level " +
      "with predicting no change, no better (within 1 %, what out-of-time quarters move it by))",
  );
});

Deno.test("equal at the five decimals shown is level, not better; a constant head ranks nothing; absent is unsaid", () => {
  const level = {
    windows: 4,
    regression_mae: 0.012341,
    no_change_mae: 0.012344,
    return_rank_correlation: NaN,
  };
  assert.equal(
    returnHeadWords(level),
    "return head (expected_return): MAE 0.01234 against 0.01234 for predicting no change (level with " +
      "predicting no change at five decimals: no better); rank correlation with the realised return: none " +
      "(the prediction is constant)",
  );
  // An accumulator that kept no returns (monitor's) has no rank correlation, and the words leave it out.
  const { return_rank_correlation: _, ...counted } = quarter;
  assert.match(returnHeadWords(counted), /\(0\.3 % higher: no better than predicting no change\)$/);
  assert.equal(rankCorrelationCell(undefined), "–");
  assert.equal(rankCorrelationCell(NaN), "–");
  assert.equal(rankCorrelationCell(-0.0614), "-0.061");
  assert.equal(rankCorrelationCell(0), "+0.000");
});

Deno.test("the columns' note gives predicting no change's MAE once, and chance's reach for the rank correlation", () => {
  assert.equal(rankNoise(10_000), 0.02);
  const note = returnColumnsNote(quarter);
  assert.ok(note.startsWith("Predicting no change (0) on these windows: return MAE 0.00968, the yardstick"));
  assert.ok(note.includes("about ±0.019 on this many independent windows"));
});
