#!/usr/bin/env bash
# The transfer learning comparison of issue 5: PEARL (no transfer), HTR, HFR and DRaT (drae)
# on the sparse point robot with dynamics shift (configs/point-shift.toml), 3 training seeds
# each, one run after another on one thread. Then `drat summarize` prints the table with 95 % CIs.
#
#   scripts/transfer-comparison.sh [OUT_DIR] [ITERATIONS]
#
# Defaults: runs/compare, 120 iterations (about 4–5 min per run on one core of a 2-core
# machine, so about an hour for the grid). `SEEDS="3"` or `METHODS="none drae"` run a part
# of the grid (e.g. a second worker on the other core). A run that exists already (its metrics.csv has
# the final iteration) is skipped, so the script can be re-run after an interruption.
set -euo pipefail
out=${1:-runs/compare}
iters=${2:-120}
drat=${DRAT:-target/release/drat}
export RAYON_NUM_THREADS=1
for seed in ${SEEDS:-1 2 3}; do
  for s in ${METHODS:-none htr hfr drae}; do
    dir="$out/$s-seed$seed"
    if [ -f "$dir/metrics.csv" ] && tail -n 1 "$dir/metrics.csv" | grep -q "^$iters,"; then
      echo "skip $dir (done)"; continue
    fi
    rm -rf "$dir"
    echo "run $dir"
    "$drat" train --config configs/point-shift.toml --quiet --threads 1 \
      --set transfer.strategy="$s" --set train.seed="$seed" \
      --set train.iterations="$iters" --out "$dir"
  done
done
"$drat" summarize "$out"/*/ --last 3 --csv "$out/summary.csv" --plot "$out/comparison.png"
