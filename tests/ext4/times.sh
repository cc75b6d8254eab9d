# ext4 times: SOURCE_DATE_EPOCH past 2038 (superblock *_hi bytes, inode
# epoch bits), nanoseconds from archive layers, the 128-byte inode
# warning; size = 0 is a clear error in both modes.
. "$KILN_TESTLIB"
need debugfs dumpe2fs e2fsck python3
mkdir -p src
echo x >src/a
touch -d @1600000000 src src/a

# 2040-04-14: past 2^31 s, so only the epoch bits / _hi bytes carry it.
export SOURCE_DATE_EPOCH=2218000000
printf 'image y.ext4 {\n\text4 { }\n\tsrcpath = "src"\n\tsize = 8M\n}\n' >y.cfg
"$KILN" build --outputpath out --tmppath tmp y.cfg 2>err || { cat err; fail "build (2040)"; }
e2fsck -fn out/y.ext4 >/dev/null 2>&1 || fail "e2fsck (2040)"
dumpe2fs -h out/y.ext4 2>/dev/null >sb.txt
for f in 'Filesystem created' 'Last write time' 'Last checked'; do
	grep "^$f:" sb.txt | grep -q ' 2040$' || { grep "^$f:" sb.txt; fail "$f is not in 2040"; }
done
# lost+found carries the build time: epoch bits 1.
debugfs -R 'stat /lost+found' out/y.ext4 2>/dev/null | grep -q 'mtime: 0x8433fe80:00000001 .* 2040' \
	|| { debugfs -R 'stat /lost+found' out/y.ext4; fail "lost+found time in 2040"; }

# 128-byte inodes have no room for it: a warning says so.
printf 'image s.ext4 {\n\text4 { extraargs = "-I 128" }\n\tsrcpath = "src"\n\tsize = 8M\n}\n' >s.cfg
"$KILN" build --outputpath out --tmppath tmp s.cfg 2>err || { cat err; fail "build (-I 128)"; }
grep -q 'warning: 128-byte inodes cannot store times outside 1901-12-13..2038-01-19: the timestamp 2218000000' err \
	|| { cat err; fail "no warning for 128-byte inodes past 2038"; }
export SOURCE_DATE_EPOCH=1700000000
"$KILN" build --outputpath out --tmppath tmp s.cfg 2>err || { cat err; fail "build (-I 128, 2023)"; }
grep -q '128-byte' err && { cat err; fail "128-byte warning without a reason"; }

# Nanoseconds from an archive layer (pax mtime), in every *time field;
# a member after the epoch is clamped to it, fraction dropped.
python3 - <<'P'
import io, tarfile
with tarfile.open('n.tar', 'w', format=tarfile.PAX_FORMAT) as t:
    for name, mt in (('ns', '1500000000.123456789'), ('future', '1800000000.5')):
        ti = tarfile.TarInfo(name)
        ti.size = 2
        ti.pax_headers = {'mtime': mt}
        t.addfile(ti, io.BytesIO(b'x\n'))
P
cat >n.cfg <<'CFG'
tree t { layer { archive = "n.tar" } }
image n.ext4 { ext4 { } size = 8M tree = t }
CFG
"$KILN" build --inputpath . --outputpath out --tmppath tmp n.cfg 2>err || { cat err; fail "build (ns)"; }
e2fsck -fn out/n.ext4 >/dev/null 2>&1 || fail "e2fsck (ns)"
want=$(printf '0x%08x:%08x' 1500000000 $((123456789 << 2)))
for t in mtime ctime atime crtime; do
	debugfs -R 'stat /ns' out/n.ext4 2>/dev/null | grep -q "$t: $want" \
		|| { debugfs -R 'stat /ns' out/n.ext4; fail "/ns $t: want $want"; }
done
debugfs -R 'stat /future' out/n.ext4 2>/dev/null | grep -q "mtime: $(printf '0x%08x' 1700000000):00000000" \
	|| { debugfs -R 'stat /future' out/n.ext4; fail "/future: not clamped to the epoch without a fraction"; }

# size = 0: an error naming the file and line, nothing written.
printf 'image z.ext4 {\n\text4 { }\n\tsrcpath = "src"\n\tsize = 0\n}\n' >z.cfg
expect_fail 1 'z.cfg:4: .*size = 0: an ext4 image needs a size' "$KILN" build --outputpath zout --tmppath tmp z.cfg
expect_no_output zout
printf 'image z.ext4 {\n\text4 { }\n\tsize = 0\n}\n' >gz.cfg
expect_fail 1 'gz.cfg:3: .*size = 0: an ext4 image needs a size' \
	"$GENIMAGE_KILN" --rootpath src --inputpath . --outputpath gzout --tmppath tmp --config gz.cfg
expect_no_output gzout
