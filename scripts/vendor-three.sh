#!/usr/bin/env bash
# Fetches three.js from the npm registry into assets/viewer/three/ (the replay page inlines it
# at write time, so pages open with no network). Usage: scripts/vendor-three.sh [VERSION]
# (default: the version in assets/viewer/three/VERSION). Needs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=assets/viewer/three
version=${1:-$(cat "$dest/VERSION")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "three@$version" >/dev/null && tar xzf "three-$version.tgz")
cp "$tmp/package/build/three.module.min.js" "$dest/three.module.min.js"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
sha256sum "$dest/three.module.min.js"
echo "three.js $version in $dest; rebuild drat to inline it"
