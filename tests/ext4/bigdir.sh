# 50,000 entries in one directory (multi-level htree) at 1 KiB and 4 KiB
# blocks, with and without metadata_csum: e2fsck clean, exact round trip.
# Slow: runs only with KILN_SLOW=1 (bench/ has the timing side).
. "$KILN_TESTLIB"
[ "${KILN_SLOW:-0}" = 1 ] || skip "set KILN_SLOW=1 for the 50,000-entry directory"
need python3 debugfs e2fsck
H="$KILN_SRC/tests/ext4"
python3 "$H/gen.py" src 3 50000
for v in "-b 1024" "-b 4096" "-b 1024 -O ^metadata_csum"; do
	printf 'image b.ext4 {\n\text4 { extraargs = "%s" }\n\tsrcpath = "src"\n}\n' "$v" >b.cfg
	"$KILN" build --outputpath out --tmppath tmp b.cfg >log 2>&1 || { cat log; fail "$v: build"; }
	e2fsck -fn out/b.ext4 >fsck 2>&1 || { cat fsck; fail "$v: e2fsck"; }
	debugfs -R "htree /big" out/b.ext4 2>/dev/null | grep -q "Indirect levels: 1" ||
		[ "$v" = "-b 4096" ] || fail "$v: expected two htree levels"
	python3 "$H/verify.py" out/b.ext4 src "$SOURCE_DATE_EPOCH" || fail "$v: round trip"
done
