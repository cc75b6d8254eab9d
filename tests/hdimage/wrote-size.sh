# "wrote FILE (N bytes)" states the file's real size, also when an hdimage's
# file ends before its planned size (gpt-no-backup, an MBR disk without
# fill): checked against stat for every image written, in both modes.
. "$KILN_TESTLIB"
mkdir -p input root
head -c 5000 /dev/zero | tr '\0' 'a' > input/p.bin
cat > h.cfg <<'CFG'
image gpt.img { hdimage { partition-table-type = "gpt" } partition p { image = "p.bin" } }
image nobackup.img { hdimage { partition-table-type = "gpt" gpt-no-backup = true }
	partition p { image = "p.bin" } }
image mbr.img { hdimage { partition-table-type = "mbr" } partition p { image = "p.bin" size = 1M } }
image fill.img { hdimage { partition-table-type = "mbr" fill = true }
	partition p { image = "p.bin" size = 1M } }
CFG
check() {
	local n=0 f sz
	while read -r _ _ f sz _; do
		sz=${sz#(}
		[ "$sz" = "$(stat -c %s "$f")" ] || fail "$1: says $f is $sz bytes, it is $(stat -c %s "$f")"
		n=$((n + 1))
	done < <(grep ': wrote ' "$2")
	[ "$n" -ge 4 ] || fail "$1: only $n 'wrote' lines"
}
"$GENIMAGE_KILN" --config h.cfg >g.log 2>&1 || fail "genimage mode failed"
check genimage g.log
"$KILN" build --no-bmap --outputpath k h.cfg >k.log 2>&1 || fail "kiln build failed"
check kiln k.log
echo "wrote-size: ok"
