# Invoked as genimage, a FIT kernel without load/entry is accepted, as
# mkimage (and so genimage) accepts it; kiln's own mode still refuses it.
# Oracle: mkimage -l lists the image kiln wrote.
. "$KILN_TESTLIB"
need mkimage
mkdir -p input root
head -c 3584 /dev/zero > input/part1.img
head -c 5632 /dev/zero > input/part2.img
cat > input/fit.its <<'ITS'
/dts-v1/;
/ {
	description = "test";
	images {
		kernel { description = "kernel"; type = "kernel"; arch = "arm"; os = "linux";
			compression = "none"; };
		ramdisk { description = "ramdisk"; type = "ramdisk"; arch = "arm"; os = "linux";
			compression = "none"; };
	};
	configurations {
		default = "conf";
		conf { kernel = "kernel"; ramdisk = "ramdisk"; };
	};
};
ITS
cat > f.cfg <<'CFG'
image test.fit {
	fit { its = "fit.its" }
	partition kernel { image = "part1.img" }
	partition ramdisk { image = "part2.img" }
}
CFG
"$GENIMAGE_KILN" --config f.cfg 2>err || { cat err >&2; fail "genimage mode refused a kernel without load"; }
mkimage -l images/test.fit >l.txt || fail "mkimage -l cannot read it"
grep -q "Image 0 (kernel)" l.txt && grep -q "Image 1 (ramdisk)" l.txt || fail "mkimage -l: $(cat l.txt)"
expect_fail 1 "a kernel needs load" "$KILN" build --outputpath k f.cfg
expect_no_output k
echo "fit-genimage-noload: ok"
