# Shared by the boot tests: fetch the Debian arm64 packages, build an
# example config with kiln, with fresh per-run tokens.
need qemu-system-aarch64 python3 mcopy dpkg-deb
DEBS=${KILN_DEBS:-$KILN_SRC/.cache/debs}
"$KILN_SRC/scripts/fetch-debs.sh" "$DEBS" 2>fetch.log || { cat fetch.log >&2; fail "could not fetch the Debian arm64 packages into $DEBS"; }
export KILN_DEBS=$DEBS
export KILN_TOKEN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
export KILN_ENVTOKEN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
EX="$KILN_SRC/examples/rpi3"

# build_example CONFIG OUTDIR: kiln build in the example directory.
build_example() {
	local t0 t1
	t0=$(date +%s.%N)
	(cd "$EX" && "$KILN" build --outputpath "$T/$2" --tmppath "$T/$2-tmp" "$1") 2>"$T/$2.log" ||
		{ cat "$T/$2.log" >&2; fail "kiln build $1 failed"; }
	t1=$(date +%s.%N)
	echo "boot: built $1 in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&2
}
