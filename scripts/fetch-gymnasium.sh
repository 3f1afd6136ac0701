#!/usr/bin/env bash
# Reproduces assets/robots/ant/ant.xml and assets/robots/half_cheetah/half_cheetah.xml from
# Gymnasium's wheel, so the provenance is checkable: the MJCF files of Ant-v5 and HalfCheetah-v5
# shipped in the `gymnasium` 1.4.0 wheel (gymnasium/envs/mujoco/assets/; MIT-licensed, the
# licence is copied next to each file as LICENSE.md). Needs pip and unzip.
#   scripts/fetch-gymnasium.sh          # fetch and compare with the committed copies
#   scripts/fetch-gymnasium.sh --write  # fetch and overwrite the committed copies
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --quiet gymnasium==1.4.0 --no-deps --only-binary=:all: -d "$tmp"
(cd "$tmp" && unzip -q gymnasium-1.4.0-*.whl \
  'gymnasium/envs/mujoco/assets/ant.xml' 'gymnasium/envs/mujoco/assets/half_cheetah.xml')
src="$tmp/gymnasium/envs/mujoco/assets"
if [[ "${1:-}" == "--write" ]]; then
  mkdir -p assets/robots/ant assets/robots/half_cheetah
  cp "$src/ant.xml" assets/robots/ant/ant.xml
  cp "$src/half_cheetah.xml" assets/robots/half_cheetah/half_cheetah.xml
  echo "wrote assets/robots/ant/ant.xml and assets/robots/half_cheetah/half_cheetah.xml from gymnasium 1.4.0"
else
  status=0
  diff "$src/ant.xml" assets/robots/ant/ant.xml || status=1
  diff "$src/half_cheetah.xml" assets/robots/half_cheetah/half_cheetah.xml || status=1
  if [[ $status -eq 0 ]]; then
    echo "assets/robots/ant/ant.xml and assets/robots/half_cheetah/half_cheetah.xml match gymnasium 1.4.0"
  fi
  exit $status
fi
