# The model image boots on QEMU's raspi3b: U-Boot reads uboot.env from the
# FAT, checks and boots the FIT (kernel, DTB, initramfs), Linux mounts the
# ext4 root, Debian's sysvinit reads /etc/inittab, runlevel 3's rc script
# says what PID 1 is, and user u logs in with the password from the config
# (the shadow hash kiln wrote).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/boot/lib-boot.inc"
build_example kiln.cfg out
img=out/rpi3.img
# QEMU boots U-Boot directly (it ignores the Pi firmware): take U-Boot and
# the board DTB out of the FAT partition kiln wrote.
mcopy -i "$img@@1M" ::/u-boot.bin ::/bcm2837-rpi-3-b.dtb . || fail "FAT partition unreadable by mtools"
python3 "$KILN_SRC/tests/boot/qemu-console.py" --timeout 180 --log console.log \
	--token "$KILN_TOKEN" --envtoken "$KILN_ENVTOKEN" --serials 2 --console-serial 1 \
	--login u:kiln --expect-id '^uid=1000\(u\) gid=999\(u\)' -- \
	qemu-system-aarch64 -M raspi3b -kernel u-boot.bin -dtb bcm2837-rpi-3-b.dtb \
	-drive file="$img",if=sd,format=raw || fail "raspi3b boot"
check_pid1 console.log
echo "rpi3: ok"
