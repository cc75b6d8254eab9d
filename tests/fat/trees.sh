# A vfat image from a `tree` section (trees issue): host-directory layer,
# inline files (read from kiln's spill file), a symlink stored as a copy,
# ownership noted as not representable (a warning, not an error); a device
# node in the tree is an error naming it.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/fat/fat-lib.inc"
need fsck.fat mcopy minfo

mkdir -p input/fw/overlays root
echo "firmware" >input/fw/start.elf
echo "dtbo" >input/fw/overlays/a.dtbo
printf 'arm_64bit=1\n' >input/config.txt
cat >k.cfg <<'CFG'
tree boot {
	layer { dir = "fw" }
	file /config.txt { source = "config.txt" }
	file /cmdline.txt { content = "console=ttyS1\n" uid = 1000 gid = 1000 }
	mkdir /empty-dir { mode = 0755 }
	symlink /kernel.img { target = "start.elf" }
}
image boot.vfat { vfat { symlinks = copy label = "TREE" } tree = boot }
CFG
"$KILN" build --rootpath root --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build failed"; }
grep -q "FAT stores no owners: ownership from the tree (e.g. /cmdline.txt, 1000:1000) is not kept" err ||
	{ cat err; fail "ownership note missing"; }
mkdir -p want/empty-dir
cp -r input/fw/. want/
cp input/config.txt want/
printf 'console=ttyS1\n' >want/cmdline.txt
cp input/fw/start.elf want/kernel.img
fat_check out/boot.vfat want 12

printf 'tree bad {\n\tnode /dev/console { type = char major = 5 minor = 1 mode = 0600 }\n}\nimage bad.vfat { vfat { } tree = bad }\n' >bad.cfg
rm -rf out
expect_fail 1 "/dev/console: FAT cannot store a character device" "$KILN" build --rootpath root --outputpath out --tmppath tmp bad.cfg
expect_no_output out
echo "trees: ok"
