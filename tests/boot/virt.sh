# The same root filesystem on QEMU virt: Debian's u-boot-qemu runs boot.scr
# from the FAT, imports uboot.env and does a real `bootm` of the FIT, so
# U-Boot itself verifies the FIT hashes kiln computed; sysvinit is PID 1
# in runlevel 3 and user u logs in on the serial console (ttyAMA0).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/boot/lib-boot.inc"
mkdir -p pkg
dpkg-deb --fsys-tarfile "$(example_deb u-boot-qemu)" | tar -x -C pkg ./usr/lib/u-boot/qemu_arm64/u-boot.bin
BIOS=$T/pkg/usr/lib/u-boot/qemu_arm64/u-boot.bin
VIRT="-M virt -cpu cortex-a53 -smp 2 -m 512 -nic none -bios $BIOS"
# The board's device tree is QEMU's: dump it with the same options (-bios
# included: with firmware QEMU swaps the PL061 GPIO for an ACPI GED).
qemu-system-aarch64 $VIRT -machine dumpdtb="$T/virt.dtb" -display none >/dev/null 2>&1 || true
[ -s virt.dtb ] || fail "could not dump the QEMU virt DTB"
export KILN_VIRT_DTB=$T/virt.dtb
build_example virt.cfg out
"$KILN" inspect out-tmp/boot.itb >inspect.txt || { cat inspect.txt >&2; fail "kiln inspect boot.itb"; }
python3 "$KILN_SRC/tests/boot/qemu-console.py" --timeout 180 --log console.log \
	--token "$KILN_TOKEN" --envtoken "$KILN_ENVTOKEN" \
	--login u:kiln --expect-id '^uid=1000\(u\) gid=999\(u\)' -- \
	qemu-system-aarch64 $VIRT -drive file=out/virt.img,if=none,format=raw,id=disk0 \
	-device virtio-blk-device,drive=disk0 || fail "virt boot"
grep -q "Verifying Hash Integrity" console.log || fail "U-Boot did not verify the FIT hashes"
check_pid1 console.log
echo "virt: ok"
