#!/usr/bin/env bash
# Reproduces assets/robots/a1/ from PyBullet's data package, so the provenance is checkable:
# the Unitree A1 description shipped in the `pybullet` 3.2.7 wheel (pybullet_data/a1/:
# a1.urdf and its OBJ/MTL/PNG visual meshes; pybullet_data is zlib-licensed, the meshes are
# Unitree's, redistributed by permission as stated by PyBullet). Needs pip and unzip.
#   scripts/fetch-a1.sh          # fetch and compare with the committed copy
#   scripts/fetch-a1.sh --write  # fetch and overwrite the committed copy
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --quiet pybullet==3.2.7 --no-deps --only-binary=:all: -d "$tmp"
(cd "$tmp" && unzip -q pybullet-3.2.7-*.whl 'pybullet_data/a1/*')
src="$tmp/pybullet_data/a1"
if [[ "${1:-}" == "--write" ]]; then
  cp "$src/a1.urdf" assets/robots/a1/a1.urdf
  mkdir -p assets/robots/a1/meshes
  cp "$src"/meshes/* assets/robots/a1/meshes/
  echo "wrote assets/robots/a1 from pybullet 3.2.7"
else
  diff -r "$src" assets/robots/a1 -x LICENSE.md && echo "assets/robots/a1 matches pybullet 3.2.7's pybullet_data/a1"
fi
