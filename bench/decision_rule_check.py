"""Does the served decision rule carry information on each `evaluate` run? (issue 11 item 4, session 32)

Reads `evaluate` output folders (their evaluation.json) and prints, per run, what the issue asks of the default
rule on test windows: each class named on >= 10 % of windows (prior rule shares), UP and DOWN precision above
their base rates, and the ECE (<= 0.02) beside its floor; then how many runs meet each.

Outside CI (standard library only). Example:
  python3 bench/decision_rule_check.py eval_1h_q1_2019 eval_2h_q4_2019 …
"""
import json, sys, glob, os
dirs = sys.argv[1:]
print("| quarter | windows | prior rule D / S / U % | precision DOWN (base) | precision UP (base) | ECE (floor) | all met |")
print("|---|---:|---|---|---|---|---|")
tot = {"shares": 0, "down": 0, "up": 0, "ece": 0, "n": 0}
for d in dirs:
    e = json.load(open(os.path.join(d, "evaluation.json")))
    m = e["overall"]["transformer_lstm"]
    met = m["metrics"]; pr = m["prior_rule"]; n = met["windows"]
    sup = {c: met["per_class"][c]["support"] for c in ("DOWN", "SIDEWAYS", "UP")}
    sh = pr["predicted_share"]
    pd, pu = pr["per_class"]["DOWN"]["precision"], pr["per_class"]["UP"]["precision"]
    bd, bu = sup["DOWN"] / n, sup["UP"] / n
    ok_sh = min(sh.values()) >= 0.10
    ok_d, ok_u = pd > bd, pu > bu
    ok_e = m["ece"] <= 0.02
    tot["n"] += 1; tot["shares"] += ok_sh; tot["down"] += ok_d; tot["up"] += ok_u; tot["ece"] += ok_e
    tag = os.path.basename(d.rstrip("/"))
    print(f"| {tag} | {n:,} | {100*sh['DOWN']:.1f} / {100*sh['SIDEWAYS']:.1f} / {100*sh['UP']:.1f} | "
          f"{pd:.3f} ({bd:.3f}) | {pu:.3f} ({bu:.3f}) | {m['ece']:.3f} ({m['ece_floor']:.3f}) | "
          f"{'yes' if ok_sh and ok_d and ok_u else 'no'} |")
print(f"\nshares ≥ 10 %: {tot['shares']}/{tot['n']}; DOWN precision > base: {tot['down']}/{tot['n']}; "
      f"UP precision > base: {tot['up']}/{tot['n']}; ECE ≤ 0.02: {tot['ece']}/{tot['n']}")
