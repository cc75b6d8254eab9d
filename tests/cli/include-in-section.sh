# include() inside an image section, as genimage allows: the included
# partitions are laid out (sfdisk reads them back), the includepath is
# searched in order, and an error in an included file names that file and
# its line.
. "$KILN_TESTLIB"
need sfdisk
mkdir -p input root aaa bbb
part() { printf '\n\npartition %s {\n\tsize = %s\n\tpartition-uuid = "%s"\n}\n' "$@"; }
part aaa 1M 59da602d-c2ea-4f18-818f-cf7947bad0ca > aaa/parts.inc
part bbb 2M 284635e9-6b62-41ca-a02a-357c01517279 > bbb/parts.inc
cat > i.cfg <<'CFG'
image d.img {
	hdimage { partition-table-type = "gpt" }
	include("parts.inc")
	partition last { size = 512K }
}
CFG
"$GENIMAGE_KILN" --config i.cfg --includepath bbb:aaa 2>err || { cat err >&2; fail "include() in an image section refused"; }
sfdisk -d images/d.img > d.txt || fail "sfdisk -d"
grep -q 'size= *4096, .*uuid=284635E9-6B62-41CA-A02A-357C01517279, name="bbb"' d.txt ||
	fail "partition bbb from bbb/parts.inc missing: $(cat d.txt)"
grep -q 'name="last"' d.txt || fail "the partition after the include() is missing"
! grep -q aaa d.txt || fail "aaa/parts.inc read although bbb/ comes first"
"$KILN" build --no-bmap --includepath aaa --outputpath k i.cfg 2>/dev/null || fail "kiln build refused it"
sfdisk -d k/d.img | grep -q 'name="aaa"' || fail "kiln build: partition aaa missing"
# Errors inside the included file: its name and line.
printf '\n\n\npartition p {\n\tsize = 1M\n\tpartition-type-uuid = "nonsense"\n}\n' > bad.inc
printf 'image x.img {\n\thdimage { partition-table-type = "gpt" }\n\tinclude("bad.inc")\n}\n' > b.cfg
expect_fail 1 '^genimage: error: bad\.inc:4: .*partition .p.: unknown partition-type-uuid' \
	"$GENIMAGE_KILN" --config b.cfg --outputpath bo
expect_no_output bo
printf 'partition p {\n\tsize = 1M\n\tbogus = 1\n}\n' > bad2.inc
sed 's/bad.inc/bad2.inc/' b.cfg > b2.cfg
expect_fail 1 'bad2\.inc:3: .*bogus' "$GENIMAGE_KILN" --config b2.cfg --outputpath bo
echo "include-in-section: ok"
