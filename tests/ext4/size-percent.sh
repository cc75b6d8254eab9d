# size = "N%" on an ext2/3/4 image (genimage): N% of its content as genimage
# measures it - each regular file rounded up to 4096 bytes, 4096 per
# directory (the top one too). Other image types refuse a percentage.
. "$KILN_TESTLIB"
need e2fsck dumpe2fs
mkdir -p input root/a/b
head -c 1000000 /dev/zero > root/a/big     # 245 x 4096 = 1003520
echo x > root/a/b/small                      # 4096
ln root/a/big root/a/big2                    # counted again, as genimage's readdir does
# content: 3 directories (12288) + 1003520 * 2 + 4096 = 2023424; 150% = 3035136
cat > p.cfg <<'CFG'
image p.ext4 { ext4 { } size = "150%" }
CFG
for k in "$GENIMAGE_KILN --config p.cfg --outputpath g" "$KILN build --no-bmap --outputpath k p.cfg"; do
	$k 2>err || { cat err >&2; fail "$k: refused size = 150%"; }
done
for f in g/p.ext4 k/p.ext4; do
	[ "$(stat -c %s "$f")" = 3035136 ] || fail "$f is $(stat -c %s "$f") bytes, want 3035136 (150% of 2023424)"
	e2fsck -fn "$f" >/dev/null 2>&1 || fail "e2fsck -fn $f"
done
echo 'image v.vfat { vfat { } size = "50%" }' > v.cfg
expect_fail 1 'v\.cfg:1: .*"50%".*only for ext2/3/4' "$GENIMAGE_KILN" --config v.cfg
echo 'image z.ext4 { ext4 { } size = "0%" }' > z.cfg
expect_fail 1 'z\.cfg:1: .*size 0%' "$GENIMAGE_KILN" --config z.cfg
echo "size-percent: ok"
