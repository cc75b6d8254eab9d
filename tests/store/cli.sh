# The store's settings and maintenance: where it lives (--cache >
# KILN_CACHE > XDG_CACHE_HOME/kiln > ~/.cache/kiln; --no-cache and
# KILN_CACHE=off turn it off), its limit (--cache-size > config
# cache-size > 10 GiB; LRU eviction keeps it under the limit), bad
# values, an unusable store (a warning, never a failed build), and
# `kiln cache info|verify|gc|clear`.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum
make_inputs input
write_configs
build ref a.cfg --no-cache

# Where it lives.
build c1 a.cfg --cache "$T/explicit"
[ -d explicit/cas ] || fail "--cache DIR not used"
env -u KILN_CACHE XDG_CACHE_HOME="$T/xdg" HOME="$T/home" "$KILN" build --inputpath input \
	--outputpath c2 --tmppath c2.tmp a.cfg 2>c2.log || { cat c2.log; fail "XDG build"; }
[ -d xdg/kiln/cas ] && [ ! -e home/.cache ] || fail "\$XDG_CACHE_HOME/kiln not used"
mkdir -p home
env -u KILN_CACHE -u XDG_CACHE_HOME HOME="$T/home" "$KILN" build --inputpath input \
	--outputpath c3 --tmppath c3.tmp a.cfg 2>c3.log || { cat c3.log; fail "HOME build"; }
[ -d home/.cache/kiln/cas ] || fail "~/.cache/kiln not used"
# A HOME that does not exist (Nix's /homeless-shelter) is not created:
# the build goes on without a cache.
env -u KILN_CACHE -u XDG_CACHE_HOME HOME="$T/nohome" "$KILN" build --inputpath input \
	--outputpath c3b --tmppath c3b.tmp a.cfg 2>c3b.log || { cat c3b.log; fail "no-HOME build"; }
[ ! -e nohome ] || fail "a missing HOME was created: $(find nohome)"
[ "$(sums ref)" = "$(sums c3b)" ] || fail "c3b differs"
for c in c1 c2 c3; do [ "$(sums ref)" = "$(sums $c)" ] || fail "$c differs"; done
env -u XDG_CACHE_HOME HOME="$T/home2" KILN_CACHE=off "$KILN" build --inputpath input \
	--outputpath c4 --tmppath c4.tmp a.cfg 2>c4.log || { cat c4.log; fail "KILN_CACHE=off build"; }
env -u XDG_CACHE_HOME HOME="$T/home2" "$KILN" build --no-cache --inputpath input \
	--outputpath c5 --tmppath c5.tmp a.cfg 2>c5.log || { cat c5.log; fail "--no-cache build"; }
[ ! -e home2 ] || fail "a disabled store was created: $(find home2)"

# An unusable store is a warning; the build goes on.
touch notadir
build c6 a.cfg --cache "$T/notadir/store"
grep -q "warning: store .*notadir/store.*building without the cache" c6.log || { cat c6.log; fail "no warning"; }
[ "$(sums ref)" = "$(sums c6)" ] || fail "c6 differs"

# Bad sizes: one line naming the value (and the config's place).
expect_fail 1 '^kiln: error: --cache-size: size "12Q": unknown suffix' \
	"$KILN" build --cache-size 12Q --inputpath input --outputpath bad a.cfg
expect_no_output bad
{ printf 'config {\n\tcache-size = "3 apples"\n}\n'; cat a.cfg; } >sized.cfg
expect_fail 1 '^kiln: error: sized.cfg:2: config \{ cache-size = "3 apples" \}' \
	"$KILN" build --inputpath input --outputpath bad sized.cfg
expect_no_output bad
expect_fail 2 "unknown action 'tidy'" "$KILN" cache tidy
expect_fail 2 '--target: size "x"' "$KILN" cache gc --target x

# info counts what is there.
build c0 a.cfg
"$KILN" cache info >info.txt || fail "cache info"
grep -q "^store    $KILN_CACHE\$" info.txt || { cat info.txt; fail "info: root"; }
blobs=$(awk '$1 == "blobs" { print $2 }' info.txt)
[ "$blobs" = "$(find "$KILN_CACHE/cas" "$KILN_CACHE/img" -type f | wc -l)" ] && [ "$blobs" -gt 0 ] || { cat info.txt; fail "info: blobs"; }
grep -q '^limit    10737418240 bytes' info.txt || fail "info: default limit"
# Sizes read as magnitudes, not the byte count twice.
grep -Eq '^blobs +[0-9]+ \([0-9]+ bytes, ([0-9]+ bytes|[0-9]+\.[0-9]{2} (KiB|MiB|GiB))\)$' info.txt ||
	{ cat info.txt; fail "info: blob bytes not shown as a magnitude"; }

# The limit: config cache-size (1 MiB) is smaller than the decoded root
# layer; the store is cut back to it when the build ends, LRU first.
{ printf 'config {\n\tcache-size = "1M"\n}\n'; cat a.cfg; } >small.cfg
build lim small.cfg --cache "$T/limstore"
used=$(find limstore/cas limstore/img limstore/ac -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$used" -le 1048576 ] || fail "store holds $used bytes, limit 1 MiB"
[ "$(sums ref)" = "$(sums lim)" ] || fail "lim differs"
# --cache-size beats the config.
build lim2 small.cfg --cache "$T/limstore" --cache-size 64M
used=$(find limstore/cas limstore/img limstore/ac -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$used" -gt 3000000 ] || fail "--cache-size 64M: store holds only $used bytes"

# gc evicts the least recently used first: after a build of b.cfg (which
# uses only the small layers), gc to 1 MiB keeps them and drops the root
# layer, so b.cfg stays warm.
build b1 b.cfg --cache "$T/limstore" --cache-size 64M
"$KILN" cache --cache "$T/limstore" gc --target 1M || fail "gc"
used=$(find limstore/cas limstore/img limstore/ac -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$used" -le 1048576 ] || fail "gc --target 1M left $used bytes"
build b2 b.cfg --cache "$T/limstore" --cache-size 64M
! grep -q 'reading archive' b2.log || { cat b2.log; fail "gc evicted recently used layers"; }
build a2 a.cfg --cache "$T/limstore" --cache-size 64M
grep -q 'rootfs.tar.xz: reading archive' a2.log || fail "gc kept the least recently used layer"

# clear empties it.
"$KILN" cache --cache "$T/limstore" clear || fail "clear"
[ -z "$(find limstore/cas limstore/img limstore/ac -type f)" ] || fail "clear left entries"
"$KILN" cache --cache "$T/limstore" info | grep -q '^blobs    0 ' || fail "info after clear"
echo "cli: ok"
