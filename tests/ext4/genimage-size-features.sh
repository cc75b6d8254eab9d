# Invoked as genimage, ext2/3/4 below 4 GiB have no large_file and below
# 2 TiB no huge_file (genimage runs mke2fs -O ^large_file -O ^huge_file by
# size), unless features names them. Twin: Debian's genimage with
# use-mke2fs gives the same feature lists; kiln's own mode keeps both.
. "$KILN_TESTLIB"
need genimage dumpe2fs e2fsck mke2fs
mkdir -p input root/etc
echo hi > root/etc/x
cat > e.cfg <<'CFG'
image a.ext4 { ext4 { use-mke2fs = true } size = 64M }
image b.ext4 { ext4 { use-mke2fs = true features = "large_file" } size = 64M }
image c.ext2 { ext2 { use-mke2fs = true } size = 8M }
image d.ext3 { ext3 { use-mke2fs = true extraargs = "-O huge_file" } size = 16M }
CFG
feats() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Filesystem features: *//p' | tr ' ' '\n' | sort | tr '\n' ' '; }
genimage --config e.cfg --outputpath g --tmppath gt >/dev/null 2>&1 || fail "genimage failed"
"$GENIMAGE_KILN" --config e.cfg --outputpath k 2>/dev/null || fail "kiln (genimage mode) failed"
for f in a.ext4 b.ext4 c.ext2 d.ext3; do
	[ "$(feats k/$f)" = "$(feats g/$f)" ] || fail "$f: features '$(feats k/$f)', genimage: '$(feats g/$f)'"
	e2fsck -fn "k/$f" >/dev/null 2>&1 || fail "e2fsck -fn k/$f"
done
feats k/a.ext4 | grep -qw large_file && fail "a.ext4 has large_file"
feats k/b.ext4 | grep -qw large_file || fail "b.ext4: features = large_file dropped"
"$KILN" build --no-bmap --outputpath n e.cfg 2>/dev/null || fail "kiln build failed"
feats n/a.ext4 | grep -qw large_file && feats n/a.ext4 | grep -qw huge_file ||
	fail "native mode: a.ext4 lost large_file/huge_file: $(feats n/a.ext4)"
echo "genimage-size-features: ok"
