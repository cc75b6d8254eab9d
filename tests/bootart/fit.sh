# fit: from an .its, kiln's FIT has the same tree as mkimage -f's
# (decompiled with dtc, sorted), is accepted by mkimage -l and dumpimage
# -l; external data like mkimage -E; genimage's partition form; kiln's
# structured form with gzip; kiln inspect catches a flipped byte in
# every image's data and a truncated file.
. "$KILN_TESTLIB"
need mkimage dumpimage dtc gzip

mkdir input
head -c 100000 /dev/urandom > input/Image
head -c 3001 /dev/urandom > input/board.dtb
head -c 5002 /dev/urandom > input/initrd.cpio.gz
cat > input/boot.its <<'T'
/dts-v1/;
// a FIT like the reference boot's (docs/formats/uboot.md)
/ {
	description = "test FIT: Linux + DTB + initramfs";
	#address-cells = <1>;
	images {
		kernel: kernel {
			description = "Linux arm64 Image";
			data = /incbin/("Image");
			type = "kernel";
			arch = "arm64";
			os = "linux";
			compression = "none";
			load = <0x00200000>;
			entry = <0x00200000>;
			hash-1 { algo = "crc32"; };
			hash-2 { algo = "sha256"; };
		};
		fdt {
			description = "board.dtb";  /* a block comment */
			data = /incbin/("board.dtb");
			type = "flat_dt";
			arch = "arm64";
			compression = "none";
			hash-1 { algo = "crc32"; };
			hash-2 { algo = "sha1"; };
		};
		ramdisk {
			description = "initramfs \"q\" \\ \t\x41\101 // not a comment";
			data = /incbin/("initrd.cpio.gz");
			type = "ramdisk";
			arch = "arm64";
			os = "linux";
			compression = "none";
			extra-cells = <1 0x2 030>, "two", "strings";
			blob = [00 11 2233];
			hash-1 { algo = "crc32"; };
		};
	};
	configurations {
		default = "conf-1";
		conf-1 {
			description = "boot Linux with initramfs";
			kernel = "kernel";
			fdt = "fdt";
			ramdisk = "ramdisk";
		};
	};
};
&kernel { amended = "yes"; };
T
cat > k.cfg <<'C'
image boot.itb { fit { its = "boot.its" } }
image ext.itb { fit { its = "boot.its" external-data = true } }
C
"$KILN" build --no-bmap k.cfg >/dev/null
(cd input && mkimage -f boot.its "$T/ref.itb" >/dev/null && mkimage -E -f boot.its "$T/refE.itb" >/dev/null)

dts() { dtc -I dtb -O dts -s "$1" 2>/dev/null | sed 's/timestamp = <[^>]*>/timestamp = <T>/'; }
dts images/boot.itb > kiln.dts; dts ref.itb > ref.dts
diff ref.dts kiln.dts || fail "FIT differs from mkimage -f's"
grep -q 'value = <' kiln.dts || fail "no hash values"
dts images/ext.itb > kilnE.dts; dts refE.itb > refE.dts
diff refE.dts kilnE.dts || fail "external FIT differs from mkimage -E -f's"
# the external data itself: extract each image and compare with the input
for f in boot.itb ext.itb; do
	mkimage -l images/$f > l.txt || fail "mkimage -l $f"
	grep -q 'FIT description: test FIT' l.txt || fail "mkimage -l $f: no description"
	dumpimage -l images/$f > /dev/null || fail "dumpimage -l $f"
	i=0
	for src in Image board.dtb initrd.cpio.gz; do
		dumpimage -T flat_dt -p $i -o out.bin images/$f >/dev/null || fail "dumpimage -p $i $f"
		cmp out.bin input/$src || fail "$f image $i data differs from $src"
		i=$((i + 1))
	done
	"$KILN" inspect images/$f > insp.txt || { cat insp.txt; fail "inspect $f"; }
done
[ "$(od -An -tx1 -N4 images/boot.itb | tr -d ' ')" = d00dfeed ] || fail "no FDT magic"
[ "$(od -An -tu1 -j23 -N1 images/boot.itb | tr -d ' ')" = 17 ] || fail "not FDT version 17"

# inspect: a flipped byte in each image's data, then a truncated file
flipped=0
for f in boot.itb ext.itb; do
	while read -r name off; do
		flipped=$((flipped + 1))
		cp images/$f bad.itb
		printf '\xa5' | dd of=bad.itb bs=1 seek=$((off + 7)) conv=notrunc status=none
		cmp -s bad.itb images/$f && printf '\x5a' | dd of=bad.itb bs=1 seek=$((off + 7)) conv=notrunc status=none
		expect_fail 1 'check failed' "$KILN" inspect bad.itb
		grep -A4 "^image $name:" "$T/.out" | grep -q MISMATCH || fail "$f: flipped byte in $name not caught"
	done < <("$KILN" inspect images/$f | awk '/^image /{n=$2; sub(":","",n)} /^  data:/{print n, $6}')
	head -c 60000 images/$f > t.itb
	expect_fail 1 'truncated|check failed' "$KILN" inspect t.itb
done
[ "$flipped" = 6 ] || fail "flipped $flipped image data areas, expected 6"

# genimage's form: partitions set /images/NAME/data
sed -e '/data = \/incbin\/("Image");/d' input/boot.its > input/nodata.its
cp input/Image input/Image.other
cat > g.cfg <<'C'
image g.itb { fit { its = "nodata.its" } partition kernel { image = "Image.other" } }
C
"$KILN" build --no-bmap g.cfg >/dev/null
dts images/g.itb > g.dts
diff ref.dts g.dts || fail "genimage partition form differs"

# kiln's structured form, kernel gzip'd by kiln, cpio initramfs built here
mkdir -p root/bin; echo hi > root/bin/x
cat > s.cfg <<'C'
image initrd.cpio.gz { cpio { compress = "gzip" } srcpath = "root" temporary = true }
image s.itb {
	fit {
		description = "structured"
		gzip-kernel = true
		image kernel { data = "Image" type = "kernel" arch = "arm64" os = "linux"
			load = "0x200000" entry = "0x200000" hash = { "crc32", "sha256" } }
		image fdt { data = "board.dtb" type = "flat_dt" arch = "arm64" }
		image ramdisk { image = "initrd.cpio.gz" type = "ramdisk" arch = "arm64" os = "linux" }
		configuration conf-1 { kernel = "kernel" fdt = "fdt" ramdisk = "ramdisk" description = "c" }
	}
}
C
"$KILN" build --no-bmap --tmppath tmp s.cfg >/dev/null
mkimage -l images/s.itb > l.txt || fail "mkimage -l structured"
grep -q 'Compression:  gzip compressed' l.txt || fail "kernel not declared gzip"
"$KILN" inspect images/s.itb > insp.txt || { cat insp.txt; fail "inspect structured"; }
dumpimage -T flat_dt -p 0 -o k.gz images/s.itb >/dev/null
gzip -dc k.gz | cmp - input/Image || fail "gzip'd kernel does not decompress to the input"
[ "$(od -An -tx1 -j3 -N5 k.gz | tr -d ' ')" = 0000000000 ] || fail "kernel gzip header has name/mtime"
dumpimage -T flat_dt -p 2 -o rd.gz images/s.itb >/dev/null
cmp rd.gz tmp/initrd.cpio.gz || fail "ramdisk is not the cpio image"
dts images/s.itb > s.dts
grep -q 'default = "conf-1"' s.dts && grep -q 'hash-2' s.dts && grep -q 'algo = "sha256"' s.dts \
	|| fail "structured tree"
# gzip of an image built in the same run (generated into memory at plan time)
cat > gz.cfg <<'C'
image r.cpio { cpio { } srcpath = "root" temporary = true }
image gz.itb { fit {
	image ramdisk { image = "r.cpio" type = "ramdisk" arch = "arm64" os = "linux" gzip = true }
	configuration c { ramdisk = "ramdisk" } } }
C
"$KILN" build --no-bmap --tmppath tmp gz.cfg >/dev/null
dumpimage -T flat_dt -p 0 -o r.gz images/gz.itb >/dev/null
gzip -dc r.gz | cmp - tmp/r.cpio || fail "gzip'd generated image differs from it"
"$KILN" inspect images/gz.itb >/dev/null || fail "inspect gz.itb"

# 64-bit load/entry with address-cells = 2, read back by mkimage
cat > a2.cfg <<'C'
image a2.itb { fit { address-cells = 2
	image kernel { data = "Image" type = "kernel" arch = "arm64" os = "linux" load = "0x100200000" entry = "0x100200000" }
	configuration c { kernel = "kernel" } } }
C
"$KILN" build --no-bmap a2.cfg >/dev/null
mkimage -l images/a2.itb | grep -q 'Load Address: 0x100200000' || fail "64-bit load address"

sha=$(sha256sum < images/s.itb); rm -rf images tmp
"$KILN" build --no-bmap --tmppath tmp s.cfg >/dev/null
[ "$(sha256sum < images/s.itb)" = "$sha" ] || fail "structured FIT not reproducible"
echo ok
