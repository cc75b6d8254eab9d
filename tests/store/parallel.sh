# kiln build -j N writes the same bytes whatever N: a FIT with a gzip'd
# payload of many gzip blocks, a gzip'd cpio, ext4 and FAT filesystems
# and an MBR disk holding four partitions, built with -j 1, 2 and 8
# without the store and with -j 8 through a cold store (where the
# archives are decompressed at the same time), all identical.
# The gzip'd bytes are valid (gzip -t) and decompress to their input
# (the FIT payload, dumpimage; the cpio against an uncompressed twin);
# the disk passes sfdisk -V and the filesystems fsck. Then an image
# failing in its writer thread while others are written (-j 4): one
# error naming the image, exit 1, every output of the run removed, the
# output it replaced put back, no temporary left.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum gzip dumpimage sfdisk e2fsck fsck.fat cpio
make_inputs input
head -c $((3 << 20)) input/rootfs.tar.xz >input/kernel.bin
python3 -c 'import sys; sys.stdout.write("".join("line %d of a kernel\n" % i for i in range(200000)))' \
	>>input/kernel.bin
cat >p.cfg <<'CFG'
tree root { layer { archive = "rootfs.tar.xz" } file /etc/issue { content = "kiln\n" } }
tree extra { layer { archive = "extra.tar.gz" } }
image boot.itb {
	fit {
		image kernel { image = "kernel.bin" type = "kernel" arch = "arm64" os = "linux"
			compression = "gzip" gzip = true load = "0x200000" entry = "0x200000" }
		configuration c { kernel = "kernel" }
		default = "c"
	}
}
image initrd.cpio.gz { cpio { compress = "gzip" } tree = root }
image initrd.cpio { cpio { } tree = root }
image root.ext4 { ext4 { } size = 16M tree = root }
image data.ext4 { ext4 { } size = 8M tree = extra }
image boot.vfat { vfat { files = { "boot.itb", "initrd.cpio.gz" } } size = 24M }
image disk.img {
	hdimage { }
	partition boot { image = "boot.vfat" partition-type = 0xc bootable = true }
	partition root { image = "root.ext4" partition-type = 0x83 }
	partition data { image = "data.ext4" partition-type = 0x83 }
	partition cpio { image = "initrd.cpio" partition-type = 0x83 }
}
CFG
build j1 p.cfg -j 1 --no-cache
build j2 p.cfg -j 2 --no-cache
build j8 p.cfg -j 8 --no-cache
build j8s p.cfg -j 8 --cache "$T/store"
build j3w p.cfg -j 3 --cache "$T/store"
[ "$(ls j1 | wc -l)" = 8 ] || fail "expected 8 outputs, got: $(ls j1)"
for d in j2 j8 j8s j3w; do
	[ "$(sums j1)" = "$(sums $d)" ] || fail "$d differs from -j 1: $(diff <(sums j1) <(sums $d))"
done
# Through the store, the two archives were decompressed at the same
# time (trees-prefetch.c), and the next build decompressed nothing.
[ "$(grep -c 'reading archive (at the same time as 1 other)' j8s.log)" = 2 ] ||
	{ cat j8s.log; fail "-j 8: archives not decoded together"; }
! grep -q 'reading archive' j3w.log || { cat j3w.log; fail "warm build read an archive"; }

gzip -t j1/initrd.cpio.gz || fail "initrd.cpio.gz: gzip -t"
zcat j1/initrd.cpio.gz | cmp - j1/initrd.cpio || fail "initrd.cpio.gz does not unpack to the cpio"
dumpimage -T flat_dt -p 0 -o kernel.gz j1/boot.itb >/dev/null || fail "dumpimage"
gzip -t kernel.gz || fail "FIT payload: gzip -t"
zcat kernel.gz | cmp - input/kernel.bin || fail "FIT payload does not unpack to kernel.bin"
# Many independently compressed blocks (sync flushes), not one stream.
n=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\0\0\xff\xff"))' kernel.gz)
[ "$n" -ge 10 ] || fail "FIT payload: $n sync-flushed blocks"
sfdisk -V j1/disk.img >/dev/null || fail "sfdisk -V"
e2fsck -fn j1/root.ext4 >/dev/null 2>&1 || fail "e2fsck root.ext4"
fsck.fat -n j1/boot.vfat >/dev/null || fail "fsck.fat boot.vfat"

# A failure in a writer thread (-j 4): the exec-pre hook of the first
# image removes a file the FAT copies when it is written; the ext4s
# are being written meanwhile. An older output is restored.
mkdir -p input/v out
echo victim >input/v/gone.txt
echo "an older disk" >out/disk.img
sed -e 's|image root.ext4 { ext4 { }|image root.ext4 { ext4 { } exec-pre = "rm -f $INPUTPATH/v/gone.txt"|' \
	-e 's|files = { "boot.itb", "initrd.cpio.gz" }|files = { "boot.itb", "initrd.cpio.gz", "v/gone.txt" }|' \
	p.cfg >fail.cfg
grep -q 'gone.txt' fail.cfg && grep -q 'exec-pre' fail.cfg || fail "fail.cfg not written"
expect_fail 1 "fail.cfg:[0-9]+: image 'boot.vfat': .*gone.txt" \
	"$KILN" build -j 4 --no-cache --inputpath input --outputpath out --tmppath out.tmp fail.cfg
[ "$(ls -A out)" = disk.img ] || fail "outputs left after the failure: $(ls -A out)"
[ "$(cat out/disk.img)" = "an older disk" ] || fail "the older disk.img was not put back"
[ -z "$(ls -A out.tmp 2>/dev/null)" ] || fail "temporaries left: $(ls -A out.tmp)"
