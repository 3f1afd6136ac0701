#!/usr/bin/env bash
# Re-downloads rapier3d 0.36.1 from crates.io, checks that vendor/rapier3d is that release plus
# exactly patches/rapier3d-multibody-mass-matrix.diff, and with --write regenerates the diff.
#   scripts/check-vendor.sh [--write]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -sSfL https://static.crates.io/crates/rapier3d/rapier3d-0.36.1.crate -o "$tmp/r.crate"
tar -xzf "$tmp/r.crate" -C "$tmp"
orig="$tmp/rapier3d-0.36.1"
rm -f "$orig/.cargo_vcs_info.json" "$orig/.cargo-ok"
diff_file="$here/patches/rapier3d-multibody-mass-matrix.diff"
# Timestamps dropped from the ---/+++ lines, so the diff depends on contents only.
new=$(cd "$tmp" && cp -r "$here/vendor/rapier3d" patched && { diff -ruN rapier3d-0.36.1 patched || true; } \
  | sed -E 's/^((---|\+\+\+) [^\t]*)\t.*$/\1/')
if [ "${1:-}" = "--write" ]; then
  printf '%s\n' "$new" > "$diff_file"
  echo "wrote $diff_file"
elif [ "$new" = "$(cat "$diff_file")" ]; then
  echo "vendor/rapier3d = rapier3d 0.36.1 + $(basename "$diff_file")"
else
  echo "vendor/rapier3d differs from rapier3d 0.36.1 + $(basename "$diff_file")" >&2
  exit 1
fi
