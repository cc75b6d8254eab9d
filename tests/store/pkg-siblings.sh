# A package that two package layers lock with different include filters
# (the example's kernel: for its image and for its modules) is
# decompressed once in a cold build, both decoded layers kept: with -j 1
# by composition, which records the second layer in the same read
# ("recorded for 1 other layer(s)"); with -j 2 by the prefetch threads
# (plan/trees-prefetch.c: "reading archive (at the same time as 1
# other)"). The images are those of a build reading every layer on its
# own (KILN_ARCHIVE_NOCACHE) and of a warm build.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio

tool_repo <<EOF
tree t { layer { packages = { "tool" } } }
tree u { layer { packages = { "tool" } include = { "usr/bin/*" } } }
image t.cpio { cpio { } tree = t }
image u.cpio { cpio { } tree = u }
EOF
tool_locked

for j in 1 2; do
	KILN_CACHE=$T/cache-j$j
	mkdir -p "$KILN_CACHE"
	cp -r "$T/cache/cas" "$KILN_CACHE/" # the fetched .debs only
	build cold$j -j $j
	for p in 'tool 1.2-3 arm64' 'libtool-data 1 all'; do
		n=$(grep -c "$p (local): reading archive" cold$j.log || true)
		[ "$n" = 1 ] || { cat cold$j.log; fail "-j $j: read $p $n times, expected once"; }
		if [ $j = 1 ]; then
			want="$p (local): recorded for 1 other layer(s) in the same read"
		else
			want="$p (local): reading archive (at the same time as 1 other)"
		fi
		grep -qF "$want" cold$j.log || { cat cold$j.log; fail "-j $j: no '$want'"; }
	done
	[ "$(grep -c 'decoded layer kept in the build cache' cold$j.log)" = 4 ] ||
		{ cat cold$j.log; fail "-j $j: did not keep the 4 decoded layers"; }
	cmp cold1/t.cpio cold$j/t.cpio && cmp cold1/u.cpio cold$j/u.cpio || fail "-j $j: images differ"
done
mv cold1 cold
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
