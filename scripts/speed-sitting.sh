#!/usr/bin/env bash
# One speed sitting: drat against its peers on the same files, one thread each, everything one
# after the other, ROUNDS times (docs/performance.md). Run on a quiet machine.
#   scripts/speed-sitting.sh [--before PATH/TO/OLD/drat] [--rounds N]
# drat is target/release/drat (build it first: cargo build --release --bin drat); --before adds
# an older drat binary's figures (e.g. a release build of an earlier commit) beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
after=target/release/drat; before=""; rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument $1 (allowed: --before PATH, --rounds N)" >&2; exit 2 ;;
  esac
done
[ -x "$after" ] || { echo "$after missing: cargo build --release --bin drat" >&2; exit 2; }
for round in $(seq "$rounds"); do
  echo "### round $round $(date +%T)"
  for r in a1 ant half_cheetah quadruped; do
    echo "-- drat $r"; "$after" bench env --robot "$r" --envs 1 --steps 20000 | head -2
    if [ -n "$before" ]; then echo "-- before $r"; "$before" bench env --robot "$r" --envs 1 --steps 20000 | head -1; fi
  done
  echo "-- mujoco a1"; scripts/anchors/a1-mujoco 5000 2>&1 | tail -1
  echo "-- pybullet a1"; scripts/anchors/a1-pybullet 5000 2>&1 | tail -1
  echo "-- mujoco ant rk4"; ../shared/anchors/mujoco-speed assets/robots/ant/ant.xml --frame-skip 5 2>&1 | tail -1
  echo "-- mujoco ant euler"; ../shared/anchors/mujoco-speed assets/robots/ant/ant.xml --frame-skip 5 --integrator euler 2>&1 | tail -1
done
