#!/usr/bin/env bash
# Paired table of results.csv (after − before per seed, mean, 95 % t-interval), as PLAN.md says.
set -euo pipefail
python3 - "$(dirname "$0")/results.csv" <<'PY'
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1])))
by = {(r["arm"], int(r["seed"])): float(r["success"]) for r in rows}
seeds = sorted({s for (_, s) in by})
print("| train seed | before (485cf74) | after (ed5a8dc) | after − before |")
print("|---|---|---|---|")
d = []
for s in seeds:
    b, a = by.get(("before", s)), by.get(("after", s))
    f = lambda x: "—" if x is None else f"{100*x:.1f} %"
    diff = None if a is None or b is None else 100 * (a - b)
    if diff is not None: d.append(diff)
    print(f"| {s} | {f(b)} | {f(a)} | {'—' if diff is None else f'{diff:+.1f}'} |")
t = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}
if len(d) >= 2:
    m, h = st.mean(d), t[len(d) - 1] * st.stdev(d) / len(d) ** 0.5
    print(f"\nmean after − before: {m:+.1f} points, 95 % t-interval [{m-h:+.1f}, {m+h:+.1f}] ({len(d)} pairs)")
PY
