# Same tree and config, built in two directories with different umask,
# TZ and locale: identical bytes. A different seed gives another UUID.
# Sizes: kiln mode without `size` gives the smallest fs plus the margin.
. "$KILN_TESTLIB"
need python3 e2fsck dumpe2fs
H="$KILN_SRC/tests/ext4"

python3 "$H/gen.py" src 7 300
cat >k.cfg <<'C'
image r.ext4 {
	ext4 { label = "r" }
	srcpath = "src"
}
C
build() { # DIR UMASK TZ
	mkdir -p "$1"
	cp -a src k.cfg "$1/"
	( cd "$1" && umask "$2" && TZ=$3 LC_ALL=C "$KILN" build --outputpath out --tmppath tmp k.cfg >log 2>&1 ) ||
		{ cat "$1/log"; fail "build in $1"; }
}
build one 022 UTC
build two 077 Asia/Tokyo
cmp one/out/r.ext4 two/out/r.ext4 || fail "rebuild is not byte-identical"
e2fsck -fn one/out/r.ext4 >fsck.log 2>&1 || { cat fsck.log; fail "e2fsck"; }

# Smallest that fits: free space is about the 10% margin plus reserved blocks.
dumpe2fs -h one/out/r.ext4 >sb 2>/dev/null
total=$(sed -n 's/^Block count: *//p' sb)
free=$(sed -n 's/^Free blocks: *//p' sb)
[ "$free" -lt $((total / 3)) ] || fail "auto size too large: $free of $total blocks free"
[ "$free" -gt 0 ] || fail "auto size left no free blocks"

# Another seed: another UUID and hash seed, same layout otherwise.
( cd one && "$KILN" build --seed other --outputpath out2 --tmppath tmp k.cfg >log2 2>&1 ) ||
	{ cat one/log2; fail "build with --seed"; }
u1=$(dumpe2fs -h one/out/r.ext4 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
u2=$(dumpe2fs -h one/out2/r.ext4 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
[ -n "$u1" ] && [ "$u1" != "$u2" ] || fail "seed does not change the UUID ($u1 $u2)"
