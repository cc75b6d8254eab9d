#!/bin/sh
# The main job: build kiln and the example Raspberry Pi 3 SD card image.
#
#   scripts/example.sh            -> images/rpi3/rpi3.img (+ .bmap)
#
# On a fresh Debian 12 machine run it as root: it installs the build
# packages. Then `kiln fetch` downloads the Debian arm64 packages that
# examples/rpi3/kiln.lock names (from this machine's Debian mirror) into
# kiln's store (~/.cache/kiln, or KILN_CACHE), verified, never installed;
# `kiln build` reads them from there. kiln itself never needs root.
# If the lock's packages have left the mirror (a Debian point release), the
# lock is made again first (scripts/example-fetch.sh).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

scripts/deps.sh build
cmake -S . -B build -G Ninja >/dev/null
ninja -C build >/dev/null
STORE=${KILN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln}
scripts/example-fetch.sh "$ROOT/build/kiln" "$STORE"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
OUT="$ROOT/images/rpi3"
mkdir -p "$OUT" "$ROOT/tmp/rpi3"
start=$(date +%s.%N)
(cd examples/rpi3 && "$ROOT/build/kiln" build --cache "$STORE" --outputpath "$OUT" --tmppath "$ROOT/tmp/rpi3" kiln.cfg)
end=$(date +%s.%N)

img="$OUT/rpi3.img"
cat <<MSG

Built $img in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s
  size $(stat -c %s "$img") bytes, $(du -k "$img" | cut -f1) KiB on disk (sparse), bmap: $img.bmap
  sha256 $(sha256sum "$img" | cut -d' ' -f1)

Write it to an SD card (only the mapped blocks are written, then read back and verified):
  build/kiln flash $img /dev/sdX        # check the device name first: lsblk
Log in on the serial console (115200 8N1) as u / kiln.
MSG
