# kiln build --package-file: locked packages handed over as files (what
# nix/image.nix does with its fixed-output fetches) instead of the store.
# Each file is matched to kiln.lock by its SHA-256: with --no-cache (no
# store at all) the image equals one built from the store; a package no
# file has, a file whose hash is not the lock's (naming the package its
# name says it is), a file of no locked package and a missing file are
# each one clear error with no image left.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio

tool_repo <<EOC
tree t { layer { packages = { "tool" } } }
image t.cpio { cpio { } tree = t }
EOC
"$KILN" lock cfg/kiln.cfg || fail "kiln lock"
"$KILN" fetch cfg/kiln.cfg || fail "kiln fetch"
"$KILN" build --tmppath tmp --outputpath store-out cfg/kiln.cfg || fail "kiln build from the store"

# The .debs elsewhere, under other names: only their content counts.
mkdir debs
cp cfg/flat/tool_1.2-3_arm64.deb debs/aaaa-tool_1.2-3_arm64.deb
cp cfg/flat/libtool-data_1_all.deb debs/x.deb
TOOL=$T/debs/aaaa-tool_1.2-3_arm64.deb
DATA=$T/debs/x.deb
B=(build --no-cache --tmppath tmp --outputpath out cfg/kiln.cfg)

# No store and no file: the package is named.
expect_fail 1 "kiln.cfg:6: image 't.cpio': tree 't': package (tool 1.2-3 \(arm64\)|libtool-data 1 \(all\)): package layers read the store \(.kiln fetch. fills it\) or --package-file files; the store is off" \
	"$KILN" "${B[@]}"
expect_no_output out
# One package missing among the files.
expect_fail 1 "kiln.cfg:6: image 't.cpio': tree 't': package libtool-data 1 \(all\): no --package-file has its sha256 $(awk '$2 == "libtool-data" { print $7 }' cfg/kiln.lock) \(libtool-data_1_all.deb\); the store is off" \
	"$KILN" "${B[@]}" --package-file "$TOOL"
expect_no_output out

# Both given (one twice): the image is the store's, bit for bit.
"$KILN" "${B[@]}" --package-file "$TOOL" --package-file "$DATA" --package-file "$DATA" ||
	fail "kiln build --no-cache --package-file"
cmp store-out/t.cpio out/t.cpio || fail "the image from --package-file differs from the store's"
(mkdir x && cd x && cpio -id --quiet <../out/t.cpio)
[ "$(cat x/usr/share/kiln-test/tool)" = "tool 1.2-3" ] || fail "tool's file content"
rm -rf out
# With the store on but empty, the files are enough.
KILN_CACHE=$T/empty-store "$KILN" build --tmppath tmp --outputpath out2 cfg/kiln.cfg \
	--package-file "$TOOL" --package-file "$DATA" || fail "kiln build, empty store, --package-file"
cmp store-out/t.cpio out2/t.cpio || fail "the image from --package-file (store on) differs"

# A file named after a locked package whose bytes are not the lock's.
python3 - "$TOOL" bad-tool_1.2-3_arm64.deb <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-5] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
want=$(awk '$1 == "package" && $2 == "tool" { print $7 }' cfg/kiln.lock)
got=$(sha256sum <bad-tool_1.2-3_arm64.deb | cut -d' ' -f1)
expect_fail 1 "^kiln: error: cfg/kiln.cfg:7: image 't.cpio': tree 't': --package-file $T/bad-tool_1.2-3_arm64.deb: sha256 $got, but cfg/kiln.lock has $want for package tool 1.2-3 \(arm64\)$" \
	"$KILN" "${B[@]}" --package-file "$T/bad-tool_1.2-3_arm64.deb" --package-file "$DATA"
expect_no_output out
# A file of no locked package; a file that does not exist.
echo junk >junk.deb
expect_fail 1 "--package-file junk.deb: sha256 [0-9a-f]{64} is no package of cfg/kiln.lock" \
	"$KILN" "${B[@]}" --package-file junk.deb
expect_fail 1 "--package-file nowhere.deb: No such file or directory" \
	"$KILN" "${B[@]}" --package-file nowhere.deb --package-file "$TOOL"
expect_fail 1 "--package-file debs: not a regular file" "$KILN" "${B[@]}" --package-file debs
expect_no_output out
exit 0
