# Package layers go through the decoded-layer cache, keyed by the .deb's
# SHA-256 from kiln.lock: the first build reads each locked .deb once
# and keeps its decoded layer; the next build (another output) reads no
# .deb at all (--loglevel 2 notes: no "reading archive", one "decoded
# layer from the cache" per package) and writes the same bytes; so does
# a build whose store lost the .debs themselves. Another include filter
# is another key: read again.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio

tool_repo <<EOF
tree t { layer { packages = { "tool" } } }
tree u { layer { packages = { "tool" } include = { "usr/bin/*" } } }
image t.cpio { cpio { } tree = t }
EOF
tool_locked

build cold
n=$(grep -c ' (local): reading archive' cold.log || true)
[ "$n" = 2 ] || { cat cold.log; fail "cold build read $n .debs, expected 2"; }
[ "$(grep -c 'decoded layer kept in the build cache' cold.log)" = 2 ] ||
	{ cat cold.log; fail "cold build did not keep both decoded layers"; }
cpio -it <cold/t.cpio 2>/dev/null | grep -qx 'usr/share/kiln-test/libtool-data' ||
	fail "cold build: package files missing"

build warm
! grep -q 'reading archive' warm.log || { cat warm.log; fail "warm build read a .deb"; }
[ "$(grep -c 'decoded layer from the cache' warm.log)" = 2 ] ||
	{ cat warm.log; fail "warm build: decoded layers not from the cache"; }
cmp cold/t.cpio warm/t.cpio || fail "warm build differs from the cold one"

# The decoded layers are enough: remove the .debs from the store.
for h in $(awk '$1 == "package" { print $7 }' cfg/kiln.lock | sort -u); do
	[ -f "$KILN_CACHE/cas/${h:0:2}/$h" ] || fail "no blob $h for a locked .deb"
	rm -f "$KILN_CACHE/cas/${h:0:2}/$h"
done
build nodebs
! grep -q 'reading archive' nodebs.log || { cat nodebs.log; fail "read a .deb"; }
cmp cold/t.cpio nodebs/t.cpio || fail "build from decoded layers only differs"

# Tree u filters the same .deb: another key, decoded once, then cached.
"$KILN" fetch cfg/kiln.cfg >/dev/null || fail "kiln fetch again"
echo 'image u.cpio { cpio { } tree = u }' >>cfg/kiln.cfg
build two
[ "$(grep -c 'tool 1.2-3 arm64 (local): reading archive' two.log)" = 1 ] ||
	{ cat two.log; fail "the filtered layer was not read once"; }
build two-warm
! grep -q 'reading archive' two-warm.log || { cat two-warm.log; fail "filtered layer read again"; }
cmp two/t.cpio two-warm/t.cpio && cmp two/u.cpio two-warm/u.cpio || fail "two trees: warm differs"
[ "$(cpio -it <two/u.cpio 2>/dev/null | grep -c '^usr/bin/')" = 2 ] || fail "u.cpio: not filtered"
