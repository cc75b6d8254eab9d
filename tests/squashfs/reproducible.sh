# squashfs: the same tree built in two directories with two umasks (and
# host files of different ages and owners) gives identical images; the
# mkfs time is SOURCE_DATE_EPOCH (and moves with it); kiln plan shows the
# compression, block size and exact size.
. "$KILN_TESTLIB"
need unsquashfs
mk() { # DIR
	mkdir -p "$1/root/a/b" "$1/root/c"
	printf 'data %.0s' $(seq 3000) > "$1/root/a/b/file"
	head -c 70000 /dev/zero > "$1/root/c/zeros"
	ln -s ../a/b/file "$1/root/c/link"
	ln "$1/root/a/b/file" "$1/root/c/hard"
	cat > "$1/k.cfg" <<'C'
image r.sqfs { squashfs { compression = "xz" } srcpath = "root" }
image z.sqfs { squashfs { compression = "zstd" block-size = "128k" } srcpath = "root" }
C
}
mk one; mk two
touch -d @1500000000 $(find one/root)
touch $(find two/root)       # now: clamped to the epoch
touch -d @1500000000 two/root/a/b/file
(cd one && umask 022 && "$KILN" build --no-bmap k.cfg >/dev/null)
(cd two && umask 077 && "$KILN" build --no-bmap k.cfg >/dev/null)
touch -d @1500000000 $(find two/root); (cd two && umask 077 && "$KILN" build --no-bmap k.cfg >/dev/null)
for i in r z; do cmp one/images/$i.sqfs two/images/$i.sqfs || fail "$i.sqfs differs between builds"; done
a=$(sha256sum < one/images/r.sqfs)
(cd one && SOURCE_DATE_EPOCH=1600000000 "$KILN" build --no-bmap k.cfg >/dev/null)
[ "$(sha256sum < one/images/r.sqfs)" != "$a" ] || fail "SOURCE_DATE_EPOCH does not reach the image"
unsquashfs -s one/images/r.sqfs | grep -q "^Creation or last append time Sun Sep 13 12:26:40 2020" \
	|| fail "mkfs time is not SOURCE_DATE_EPOCH"
(cd one && "$KILN" plan k.cfg) > plan.txt
grep -q "squashfs zstd, block 131072: [0-9]* entries, $(stat -c %s two/images/z.sqfs) bytes" plan.txt \
	|| { cat plan.txt; fail "kiln plan"; }
echo ok
