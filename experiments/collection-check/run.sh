#!/usr/bin/env bash
# Trains and meta-tests configs/point-pearl.toml for each (arm, seed) of PLAN.md and appends a
# row per finished run to results.csv. Several workers may run at once (each claims a run by
# creating its directory under $RUNS/claims); finished rows are skipped. A run killed half-way
# is not resumed: remove its claim and it is trained again from scratch.
# Needs: $BEFORE and $AFTER, drat binaries built at the two commits.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${BEFORE:?path to drat built at 485cf74}" "${AFTER:?path to drat built at ed5a8dc}"
runs=${RUNS:-/tmp/collection-check-runs}
mkdir -p "$runs/claims"
csv=$here/results.csv
[ -f "$csv" ] || echo "arm,commit,seed,success,explore_success,return,minutes" > "$csv"
for seed in 0 1 2 3; do
  for arm in before after; do
    if grep -q "^$arm,[0-9a-f]*,$seed," "$csv"; then continue; fi
    mkdir "$runs/claims/$arm-$seed" 2> /dev/null || continue
    if [ $arm = before ]; then bin=$BEFORE commit=485cf74; else bin=$AFTER commit=ed5a8dc; fi
    out=$runs/$arm-$seed
    rm -rf "$out"
    t0=$(date +%s)
    "$bin" train --config "$repo/configs/point-pearl.toml" --out "$out" --threads 1 \
      --set train.seed=$seed > "$runs/$arm-$seed.log" 2>&1
    json=$("$bin" eval "$out" --set tasks.n_test=300 --seed 1 --json 2>> "$runs/$arm-$seed.log")
    mins=$(( ($(date +%s) - t0 + 30) / 60 ))
    row=$(echo "$json" | jq -r --arg a $arm --arg c $commit --arg s $seed --arg m $mins \
      '[$a, $c, $s, .success, .explore_success, .ret, $m] | @csv' | tr -d '"')
    flock "$csv" -c "echo '$row' >> '$csv'"
    echo "$(date +%H:%M) $arm seed $seed: $row"
  done
done
