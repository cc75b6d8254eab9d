# Randomised trees into FAT12/16/32 at several cluster sizes: every image
# fsck-clean, extracted by mtools to exactly the input, the geometry asked
# for; rebuilt byte-identical in another directory with another umask.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/fat/fat-lib.inc"
need fsck.fat mcopy minfo python3

python3 "$KILN_SRC/tests/fat/gentree.py" big 1 1500 2048
python3 "$KILN_SRC/tests/fat/gentree.py" small 2 250 512
mkdir -p empty flat/one
# Thousands of files in one directory, all with the same 8.3 basis (tails
# up to ~2500, the base shrinking as the number grows) and a few sharing
# the short-name form with a real 8.3 name.
python3 - <<'PY'
for i in range(2500):
    open("flat/one/collision_prefix_%05d.txt" % i, "w").write(str(i) if i % 3 else "")
for n in ("COLLIS~1.TXT", "collis~2.txt", "COLLI~10.TXT"):
    open("flat/one/" + n, "w").write(n)
PY
cat >k.cfg <<'CFG'
image auto.vfat { srcpath = "big" vfat { label = "AUTO" } }
image f16-512.vfat { srcpath = "big" vfat { fat-type = 16 cluster-size = 512 } }
image f32-4k.vfat { srcpath = "big" vfat { fat-type = 32 cluster-size = 4k } }
image f32.vfat { srcpath = "small" vfat { fat-type = 32 volume-id = 0xdeadbeef } }
image f12-8k.vfat { srcpath = "small" vfat { fat-type = 12 cluster-size = 8k } }
image f12-1k.vfat { srcpath = "small" vfat { extraargs = "-F 12 -s 2 -n SMALL" } }
image fixed.vfat { srcpath = "small" size = 40M vfat { extraargs = "-F 16 -r 1024 -f 1" } }
image f32-s.vfat { srcpath = "small" size = 300M vfat { extraargs = "-F 32 -S 1024 -s 4 -R 16" } }
image empty.vfat { srcpath = "empty" vfat { } }
image flat.vfat { srcpath = "flat" vfat { fat-type = 32 } }
CFG
umask 022
"$KILN" build --rootpath root --outputpath out --tmppath tmp k.cfg 2>build.err || { cat build.err; fail "build failed"; }

fat_check out/auto.vfat big 16
fat_check out/f16-512.vfat big 16 1
fat_check out/f32-4k.vfat big 32 8
fat_check out/f32.vfat small 32 1
fat_check out/f12-8k.vfat small 12 16
fat_check out/f12-1k.vfat small 12 2
fat_check out/fixed.vfat small 16
fat_check out/f32-s.vfat small 32 4
fat_check out/empty.vfat empty 12
fat_check out/flat.vfat flat 32
minfo -i out/f12-1k.vfat :: | grep -q 'disk label="SMALL' || fail "label from -n missing"
minfo -i out/f32.vfat :: | grep -q 'serial number: DEADBEEF' || fail "volume-id not applied"
minfo -i out/fixed.vfat :: | grep -q '^fats: 1' || fail "-f 1 not applied"
minfo -i out/f32-s.vfat :: | grep -q '^sector size: 1024 bytes' || fail "-S 1024 not applied"
minfo -i out/f32-s.vfat :: | grep -q '^reserved (boot) sectors: 16' || fail "-R 16 not applied"
[ "$(stat -c %s out/fixed.vfat)" = 41943040 ] || fail "fixed size not kept"
# Auto size: the smallest that fits plus the 10% margin, in whole MiB.
s=$(stat -c %s out/auto.vfat)
[ $((s % 1048576)) = 0 ] || fail "auto size $s is not whole MiB"
# Sparse output: the empty image occupies far less than its size.
[ "$(du -k out/empty.vfat | cut -f1)" -lt 64 ] || fail "empty image is not sparse"

# Byte-identical rebuild elsewhere, other umask, TZ and locale.
mkdir -p again
cp -r big small empty flat k.cfg again/
(cd again && umask 077 && TZ=Asia/Tokyo LC_ALL=C "$KILN" build --rootpath root --outputpath out --tmppath tmp k.cfg 2>/dev/null) ||
	fail "rebuild failed"
for f in out/*.vfat; do
	cmp -s "$f" "again/$f" || fail "rebuild of $f differs"
done
echo "roundtrip: ok"
