# The real consumer: Debian's U-Boot (qemu_arm64, with CONFIG_FIT) runs
# kiln's boot.scr, which imports kiln's uboot.env, whose bootcmd bootm's
# kiln's FIT (gzip'd kernel, DTB, kiln's cpio initramfs); U-Boot checks
# every hash, Linux starts the initramfs, which prints the token that
# only the env carried. Then a FIT with one flipped kernel byte must be
# refused by U-Boot. The artifacts are put in RAM with QEMU's loader
# device, so no disk image (FAT) is involved.
# Needs the example's Debian arm64 packages (examples/rpi3/kiln.lock) in the
# suite's store (tests/boot/lib-debs.inc); skipped when they cannot be fetched.
. "$KILN_TESTLIB"
need qemu-system-aarch64 dpkg-deb dtc
. "$KILN_SRC/tests/boot/lib-debs.inc"
example_fetch || skip "the example's packages are not in $EXSTORE and kiln fetch failed"
KDEB=$(example_deb 'linux-image-[0-9].*-arm64'); UDEB=$(example_deb u-boot-qemu)
BDEB=$(example_deb busybox-static)
[ -r "$KDEB" ] && [ -r "$UDEB" ] && [ -r "$BDEB" ] || fail "a package is not in $EX/kiln.lock or $EXSTORE"

mkdir -p pkg input root/bin root/proc
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C pkg --wildcards './boot/vmlinuz-*'
dpkg-deb --fsys-tarfile "$UDEB" | tar -x -C pkg ./usr/lib/u-boot/qemu_arm64/u-boot.bin
dpkg-deb --fsys-tarfile "$BDEB" | tar -x -C pkg ./bin/busybox
cp pkg/boot/vmlinuz-* input/Image
cp pkg/bin/busybox root/bin/busybox
ln -s busybox root/bin/sh
cat > root/init <<'I'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "BOOT-OK $(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
I
chmod 755 root/init

QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512 -nic none -display none -monitor none
      -bios pkg/usr/lib/u-boot/qemu_arm64/u-boot.bin)
"${QEMU[@]}" -machine dumpdtb=input/virt.dtb >/dev/null 2>&1 || true
[ -s input/virt.dtb ] || fail "could not dump the virt DTB"

TOKEN=kt$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
cat > boot.cfg <<C
image initrd.cpio.gz { cpio { compress = "gzip" } srcpath = "root" temporary = true }
image boot.itb {
	fit {
		description = "kiln uboot-virt test"
		gzip-kernel = true
		image kernel { data = "Image" type = "kernel" arch = "arm64" os = "linux"
			load = "0x40200000" entry = "0x40200000" hash = { "crc32", "sha256" } }
		image fdt { data = "virt.dtb" type = "flat_dt" arch = "arm64" hash = { "sha1" } }
		image ramdisk { image = "initrd.cpio.gz" type = "ramdisk" arch = "arm64" os = "linux" }
		configuration conf-1 { kernel = "kernel" fdt = "fdt" ramdisk = "ramdisk" }
	}
}
image uboot.env {
	size = 0x4000
	ubootenv { vars = { "bootargs=console=ttyAMA0,115200 panic=-1 kilntoken=$TOKEN",
			    "labboot=echo lab: bootm; bootm 0x48000000; echo BOOT-FAIL bootm returned" } }
}
image boot.scr { bootscript { script = "echo lab: boot.scr; env import -c 0x47000000 0x4000 && run labboot\n" } }
C
"$KILN" build --no-bmap --tmppath tmp boot.cfg >/dev/null

# boot IMAGES-DIR LOG: run U-Boot, stop autoboot, `source` the script.
boot() {
	local dir=$1 log=$2 pid i
	rm -f ser.in ser.out; mkfifo ser.in ser.out
	"${QEMU[@]}" -no-reboot -chardev pipe,id=c0,path=ser -serial chardev:c0 \
		-device loader,file="$dir/boot.scr",addr=0x46000000,force-raw=on \
		-device loader,file="$dir/uboot.env",addr=0x47000000,force-raw=on \
		-device loader,file="$dir/boot.itb",addr=0x48000000,force-raw=on 2>qemu.err &
	pid=$!
	exec 3>ser.in
	cat ser.out > "$log" &
	for i in $(seq 1 600); do
		grep -aq 'Hit any key' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	printf '\n' >&3; sleep 0.5
	printf 'source 0x46000000\n' >&3
	for i in $(seq 1 900); do
		grep -aqE '^BOOT-OK|BOOT-FAIL|Kernel panic|Bad Data Hash|ERROR' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	sleep 1
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	exec 3>&-
	wait 2>/dev/null || true
	tr -d '\r' < "$log" > "$log.txt"
}

boot images good.log
grep -q "lab: boot.scr" good.log.txt || { tail -n 30 good.log.txt; fail "U-Boot did not run kiln's boot.scr"; }
[ "$(grep -c 'crc32+ OK\|sha256+ OK\|sha1+ OK' good.log.txt)" -ge 3 ] || { tail -n 40 good.log.txt; fail "U-Boot did not verify the hashes"; }
grep -q "^BOOT-OK .*kilntoken=$TOKEN" good.log.txt || { tail -n 40 good.log.txt; fail "no BOOT-OK with the env's token"; }

# A flipped byte in the kernel data: U-Boot must refuse it.
off=$("$KILN" inspect images/boot.itb | awk '/^image kernel:/{k=1} k && /^  data:/{print $6; exit}')
mkdir bad; cp images/boot.scr images/uboot.env images/boot.itb bad/
printf '\x55' | dd of=bad/boot.itb bs=1 seek=$((off + 4096)) conv=notrunc status=none
cmp -s bad/boot.itb images/boot.itb && printf '\xaa' | dd of=bad/boot.itb bs=1 seek=$((off + 4096)) conv=notrunc status=none
boot bad bad.log
grep -q 'Bad hash value\|Bad Data Hash\|can.t get kernel image' bad.log.txt || { tail -n 30 bad.log.txt; fail "U-Boot accepted a corrupted FIT"; }
grep -q '^BOOT-OK' bad.log.txt && fail "corrupted FIT booted"
echo ok
