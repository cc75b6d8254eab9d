# A flat repository in a local directory (Packages and a signed Release
# at its root, as apt's "deb [signed-by=...] file:/dir ./"): `kiln lock`
# reads it by path (relative to the config) and as file://, `kiln fetch`
# copies the .debs into the store, verified; a modified .deb is refused;
# the build's tree holds the package's files (cpio listing).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio

tool_repo <<EOF
tree t { layer { packages = { "tool" } } }
image t.cpio { cpio { } tree = t }
EOF
"$KILN" lock cfg/kiln.cfg || fail "kiln lock (directory)"
grep -q '^repository local .*/flat$' cfg/kiln.lock || fail "repository line"
grep -q '^package tool 1.2-3 arm64 local [0-9]* [0-9a-f]\{64\} tool_1.2-3_arm64.deb$' cfg/kiln.lock ||
	{ cat cfg/kiln.lock; fail "tool not locked"; }
grep -q '^package libtool-data 1 all local ' cfg/kiln.lock || fail "libtool-data not locked"
cp cfg/kiln.lock dir.lock

# The same repository as a file:// URL resolves to the same packages.
sed "s|url = \"flat\"|url = \"file://$T/cfg/flat\"|" cfg/kiln.cfg >cfg/file.cfg
"$KILN" lock cfg/file.cfg || fail "kiln lock (file://)"
diff <(grep '^package' dir.lock) <(grep '^package' cfg/kiln.lock) || fail "file:// locked differently"
cp dir.lock cfg/kiln.lock

# The index compressed with gzip, or not at all: the same packages.
for z in gz plain; do
	rm -f cfg/flat/Packages.xz cfg/flat/Packages.gz
	[ $z = gz ] && gzip -kn cfg/flat/Packages
	(cd cfg/flat && apt-ftparchive release . >../Release.new && mv ../Release.new Release)
	sign cfg/flat
	[ $z = plain ] || ! grep -q ' Packages$' cfg/flat/Release || mv cfg/flat/Packages cfg/Packages.hidden
	"$KILN" lock cfg/kiln.cfg || fail "kiln lock (Packages $z)"
	diff <(grep '^package' dir.lock) <(grep '^package' cfg/kiln.lock) || fail "Packages.$z locked differently"
	[ -e cfg/Packages.hidden ] && mv cfg/Packages.hidden cfg/flat/Packages
done
cp dir.lock cfg/kiln.lock

# A modified .deb in the directory: refused, nothing enters the store.
cp cfg/flat/tool_1.2-3_arm64.deb tool.saved
echo junk >>cfg/flat/tool_1.2-3_arm64.deb
expect_fail 1 'tool_1.2-3_arm64.deb: not a regular file of the locked size' "$KILN" fetch cfg/kiln.cfg
[ "$(find "$KILN_CACHE/cas" -type f 2>/dev/null | wc -l)" -le 1 ] || fail "store holds too much"
python3 - cfg/flat/tool_1.2-3_arm64.deb tool.saved <<'PY'
import sys
b = bytearray(open(sys.argv[2], 'rb').read()); b[-5] ^= 1
open(sys.argv[1], 'wb').write(b)
PY
expect_fail 1 'tool_1.2-3_arm64.deb: SHA-256 differs from kiln.lock' "$KILN" fetch cfg/kiln.cfg
cp tool.saved cfg/flat/tool_1.2-3_arm64.deb

"$KILN" fetch cfg/kiln.cfg || fail "kiln fetch (copy)"
[ "$(find "$KILN_CACHE/cas" -type f | wc -l)" = 2 ] || fail "expected 2 blobs"
"$KILN" build --tmppath tmp --outputpath images cfg/kiln.cfg || fail "kiln build"
cpio -it <images/t.cpio 2>/dev/null | sort >list.txt
for f in usr/bin/tool usr/share/kiln-test/tool usr/share/kiln-test/libtool-data; do
	grep -qx "$f" list.txt || { cat list.txt; fail "$f missing from the cpio"; }
done
(mkdir x && cd x && cpio -id --quiet <../images/t.cpio)
[ "$(cat x/usr/share/kiln-test/tool)" = "tool 1.2-3" ] || fail "tool's file content"
exit 0
