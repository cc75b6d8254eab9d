# The Raspberry Pi path: Debian's rpi_arm64 U-Boot (no CONFIG_FIT) loads
# kiln's uboot.env natively from the FAT partition (CONFIG_ENV_IS_IN_FAT,
# 0x4000 bytes: the CRC must match), runs its bootcmd, which loads and
# `source`s kiln's boot.scr. The FAT and the MBR are made with the
# standard tools here (this test is about the env and the script).
# Needs the example's Debian arm64 packages (examples/rpi3/kiln.lock) in the
# suite's store (tests/boot/lib-debs.inc); skipped when they cannot be fetched.
. "$KILN_TESTLIB"
need qemu-system-aarch64 dpkg-deb mkfs.vfat mcopy sfdisk
. "$KILN_SRC/tests/boot/lib-debs.inc"
example_fetch || skip "the example's packages are not in $EXSTORE and kiln fetch failed"
KDEB=$(example_deb 'linux-image-[0-9].*-arm64'); UDEB=$(example_deb u-boot-rpi)
[ -r "$KDEB" ] && [ -r "$UDEB" ] || fail "the kernel or u-boot-rpi is not in $EX/kiln.lock or $EXSTORE"

mkdir -p pkg input
dpkg-deb --fsys-tarfile "$UDEB" | tar -x -C pkg ./usr/lib/u-boot/rpi_arm64/u-boot.bin
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C pkg --wildcards './usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb'
DTB=$(ls pkg/usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb)

TOKEN=kt$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
cat > input/boot.cmd <<S
echo "KILN-SCRIPT-OK \${kilntoken}"
S
cat > k.cfg <<C
image uboot.env {
	size = 0x4000
	# single quotes: libconfuse expands \${NAME} from the environment in "..."
	ubootenv { vars = { "bootdelay=0", "kilntoken=$TOKEN",
			    'bootcmd=echo KILN-ENV-OK \${kilntoken}; load mmc 0:1 0x01000000 boot.scr && source 0x01000000; echo KILN-DONE' } }
}
image boot.scr { bootscript { file = "boot.cmd" } }
C
"$KILN" build --no-bmap k.cfg >/dev/null

truncate -s 64M p1.img
mkfs.vfat -F 32 -S 512 -s 1 -n BOOT p1.img >/dev/null 2>&1
mcopy -i p1.img images/uboot.env images/boot.scr ::/
truncate -s 128M disk.img
printf 'label: dos\nstart=2048, size=131072, type=c, bootable\n' | sfdisk --quiet --no-reread --no-tell-kernel disk.img
dd if=p1.img of=disk.img bs=512 seek=2048 conv=notrunc,sparse status=none

: > uart0.log; : > console.log
qemu-system-aarch64 -M raspi3b -kernel pkg/usr/lib/u-boot/rpi_arm64/u-boot.bin -dtb "$DTB" \
	-drive file=disk.img,if=sd,format=raw -serial file:uart0.log -serial file:console.log \
	-display none -monitor none -no-reboot 2>qemu.err &
pid=$!
for i in $(seq 1 600); do
	grep -aq 'KILN-DONE\|bad CRC\|Unable to read' console.log && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
sleep 0.5
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
tr -d '\r' < console.log > c.txt
grep -q 'Loading Environment from FAT... OK' c.txt || { tail -n 30 c.txt; fail "U-Boot did not load kiln's uboot.env from FAT"; }
grep -q "^KILN-ENV-OK $TOKEN" c.txt || { tail -n 30 c.txt; fail "bootcmd from kiln's env did not run"; }
grep -q "^KILN-SCRIPT-OK $TOKEN" c.txt || { tail -n 30 c.txt; fail "kiln's boot.scr did not run"; }

# the same env with one flipped byte: U-Boot falls back to its default
printf '\x01' | dd of=images/uboot.env bs=1 seek=100 conv=notrunc status=none
mcopy -o -i p1.img images/uboot.env ::/
dd if=p1.img of=disk.img bs=512 seek=2048 conv=notrunc,sparse status=none
: > console.log
qemu-system-aarch64 -M raspi3b -kernel pkg/usr/lib/u-boot/rpi_arm64/u-boot.bin -dtb "$DTB" \
	-drive file=disk.img,if=sd,format=raw -serial file:uart0.log -serial file:console.log \
	-display none -monitor none -no-reboot 2>qemu.err &
pid=$!
for i in $(seq 1 600); do
	grep -aq 'bad CRC\|KILN-ENV-OK' console.log && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
sleep 0.5
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
grep -aq 'bad CRC' console.log || { tail -n 20 console.log; fail "U-Boot accepted a corrupted env"; }
grep -aq 'KILN-ENV-OK' console.log && fail "corrupted env was used"
echo ok
