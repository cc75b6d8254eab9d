#!/bin/sh
# One self-contained kiln executable (no shared libraries, no network
# commands), from Debian 12's static libraries: docs/nix.md.
#   scripts/static.sh [BUILD_DIR]     default build-static; the binary is BUILD_DIR/kiln
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-static}
scripts/deps.sh static
cmake -S . -B "$dir" -G Ninja -DKILN_STATIC=ON >/dev/null
ninja -C "$dir" kiln >/dev/null
# ldd says "not a dynamic executable" (on stderr, exit 1) for a static one.
if ldd "$dir/kiln" >/dev/null 2>&1; then
	echo "static.sh: $dir/kiln is dynamically linked" >&2
	exit 1
fi
size=$(wc -c <"$dir/kiln")
strip -o "$dir/kiln.stripped" "$dir/kiln"
stripped=$(wc -c <"$dir/kiln.stripped")
rm -f "$dir/kiln.stripped"
echo "$dir/kiln: static, $size bytes ($stripped stripped)" >&2
