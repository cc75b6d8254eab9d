# A package that two package layers lock with different include filters
# (the example's kernel: for its image and for its modules) is
# decompressed once in a cold build: the second layer is recorded in the
# same read (--loglevel 2: "recorded for 1 other layer(s)"), both decoded
# layers are kept, and the images are those of a build reading every
# layer on its own (KILN_ARCHIVE_NOCACHE) and of a warm build.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio

mkkey
mkpkg tool 1.2-3 arm64 "Depends: libtool-data (>= 1)"
mkpkg libtool-data 1 all
mkflat cfg/flat
{ flat_repository local flat; cat; } >cfg/kiln.cfg <<EOF
tree t { layer { packages = { "tool" } } }
tree u { layer { packages = { "tool" } include = { "usr/bin/*" } } }
image t.cpio { cpio { } tree = t }
image u.cpio { cpio { } tree = u }
EOF
export KILN_CACHE=$T/cache
"$KILN" lock cfg/kiln.cfg >/dev/null || fail "kiln lock"
"$KILN" fetch cfg/kiln.cfg >/dev/null || fail "kiln fetch"
build() { # NAME [options]
	local name=$1
	shift
	"$KILN" build --loglevel 2 --outputpath "$name" --tmppath "$name.tmp" "$@" cfg/kiln.cfg \
		>"$name.log" 2>&1 || { cat "$name.log" >&2; fail "build $name"; }
}

build cold
for p in 'tool 1.2-3 arm64' 'libtool-data 1 all'; do
	n=$(grep -c "$p (local): reading archive" cold.log || true)
	[ "$n" = 1 ] || { cat cold.log; fail "cold build read $p $n times, expected once"; }
	grep -q "$p (local): recorded for 1 other layer(s) in the same read" cold.log ||
		{ cat cold.log; fail "$p: the other layer was not recorded in the same read"; }
done
[ "$(grep -c 'decoded layer kept in the build cache' cold.log)" = 4 ] ||
	{ cat cold.log; fail "cold build did not keep the 4 decoded layers"; }
[ "$(cpio -it <cold/u.cpio 2>/dev/null | grep -c '^usr/bin/')" = 2 ] || fail "u.cpio: not filtered"
cpio -it <cold/t.cpio 2>/dev/null | grep -qx 'usr/share/kiln-test/libtool-data' ||
	fail "t.cpio: package files missing"

KILN_ARCHIVE_NOCACHE=1 build apart
[ "$(grep -c 'reading archive' apart.log)" = 4 ] || { cat apart.log; fail "apart: not 4 reads"; }
build warm
! grep -q 'reading archive' warm.log || { cat warm.log; fail "warm build read a .deb"; }
[ "$(grep -c 'decoded layer from the cache' warm.log)" = 4 ] ||
	{ cat warm.log; fail "warm build: decoded layers not from the cache"; }
for i in t u; do
	cmp cold/$i.cpio apart/$i.cpio || fail "$i.cpio: one read differs from separate reads"
	cmp cold/$i.cpio warm/$i.cpio || fail "$i.cpio: warm differs from cold"
done
