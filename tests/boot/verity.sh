# examples/verity on QEMU virt: Debian's U-Boot boots the FIT, the kernel
# command line carries the root hash kiln computed (through uboot.env),
# the initramfs opens root-a with veritysetup and switches to the EROFS
# root, which prints VERITY-ROOT-OK with that hash, mounted from the
# dm-verity device. veritysetup verifies the partitions cut out of the
# disk with kiln's root hash. Then one byte of a file the root reads is
# flipped in a copy of the disk: the kernel reports the corrupted block,
# the boot fails and no marker appears.
. "$KILN_TESTLIB"
need qemu-system-aarch64
EX="$KILN_SRC/examples/verity"
# The suite's store (as the other boot tests): packages and build cache.
STORE=${KILN_EXAMPLE_STORE:-$KILN_SRC/.cache/store}
mkdir -p "$STORE"
(flock 9 && cd "$EX" && "$KILN" fetch --cache "$STORE" kiln.cfg) 9>"$STORE.lock" >fetch.log 2>&1 ||
	{ cat fetch.log >&2; fail "kiln fetch of examples/verity's packages into $STORE"; }

# -bios: U-Boot from the locked u-boot-qemu package, out of the store.
sha=$(awk '$1 == "package" && $2 == "u-boot-qemu" { print $7; exit }' "$EX/kiln.lock")
[ -n "$sha" ] || fail "u-boot-qemu is not in examples/verity/kiln.lock"
mkdir pkg
dpkg-deb --fsys-tarfile "$STORE/cas/$(printf %.2s "$sha")/$sha" |
	tar -x -C pkg ./usr/lib/u-boot/qemu_arm64/u-boot.bin
VIRT="-M virt -cpu cortex-a53 -smp 2 -m 512 -nic none -bios $T/pkg/usr/lib/u-boot/qemu_arm64/u-boot.bin"
qemu-system-aarch64 $VIRT -machine dumpdtb="$T/virt.dtb" -display none >/dev/null 2>&1 || true
[ -s virt.dtb ] || fail "could not dump the QEMU virt DTB"
export KILN_VIRT_DTB=$T/virt.dtb
export KILN_TOKEN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
export KILN_ENVTOKEN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
(cd "$EX" && "$KILN" build --cache "$STORE" --outputpath "$T/out" --tmppath "$T/tmp" kiln.cfg) \
	2>build.log || { cat build.log >&2; fail "kiln build of examples/verity"; }
root=$(cat tmp/root.verity.root-hash)
[ ${#root} = 64 ] || fail "no root hash: '$root'"
cmp -s out/u-boot.bin pkg/usr/lib/u-boot/qemu_arm64/u-boot.bin || fail "out/u-boot.bin is not the package's"

# The partitions by GPT name: START SIZE (bytes).
sfdisk -J out/verity.img >table.json
part() {
	python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
p = [p for p in t["partitions"] if p.get("name") == sys.argv[2]][0]
print(p["start"] * 512, p["size"] * 512, p["type"].lower())' table.json "$1"
}
read -r a_off a_size a_type < <(part root-a)
read -r h_off h_size h_type < <(part root-a-verity)
[ "$a_type" = b921b045-1df0-41c3-af44-4c6f280d3fae ] || fail "root-a type $a_type (not root-arm64)"
[ "$h_type" = df3300ce-d69f-4c92-978c-9bfb0f38d820 ] || fail "root-a-verity type $h_type"
cut_out() { dd if="$1" of="$2" bs=1M iflag=skip_bytes,count_bytes skip="$3" count="$4" status=none; }
cut_out out/verity.img a.img "$a_off" "$a_size"
cut_out out/verity.img a-hash.img "$h_off" "$h_size"
"$KILN" inspect a-hash.img >inspect.txt || { cat inspect.txt >&2; fail "kiln inspect of root-a-verity"; }
grep -qx "root hash: $root" inspect.txt || fail "kiln inspect prints another root hash: $(grep root inspect.txt)"
veritysetup verify a.img a-hash.img "$root" || fail "veritysetup verify of root-a with kiln's root hash"

boot() { # DISK LOG
	python3 "$KILN_SRC/tests/boot/qemu-console.py" --timeout 300 --log "$2" \
		--token "$KILN_TOKEN" --envtoken "$KILN_ENVTOKEN" -- \
		qemu-system-aarch64 $VIRT -drive file="$1",if=none,format=raw,id=disk0 \
		-device virtio-blk-device,drive=disk0
}
boot out/verity.img good.log || fail "the verity example did not boot"
grep -Eqa "Kernel command line: .*roothash=$root( |\$)" good.log ||
	fail "the kernel command line has not kiln's root hash $root"
grep -Eqa "^VERITY-ROOT-OK roothash=$root dev=/dev/mapper/vroot fstype=erofs options=ro[, ]" good.log ||
	{ grep -a VERITY good.log >&2; fail "the root is not the EROFS on /dev/mapper/vroot with root hash $root"; }

# One flipped byte in root-a: in /etc/boot-token, which the root's init
# reads (its content is the per-run token, found in the partition; a
# data block of its own: the example's EROFS has no inline data).
off=$(grep -m1 -obUaF "$KILN_TOKEN" a.img | cut -d: -f1)
[ -n "$off" ] || fail "the token is not in root-a"
cp --sparse=always out/verity.img bad.img
pos=$((a_off + off + 2))
byte=$(od -An -tu1 -j "$pos" -N1 bad.img | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 0x20)))" | dd of=bad.img bs=1 seek="$pos" conv=notrunc status=none
cmp -s out/verity.img bad.img && fail "the byte was not flipped"
cut_out bad.img bad-a.img "$a_off" "$a_size"
if veritysetup verify bad-a.img a-hash.img "$root" 2>/dev/null; then
	fail "veritysetup accepts the flipped root-a"
fi
if boot bad.img bad.log 2>boot-bad.err; then
	fail "the disk with a flipped byte in root-a booted"
fi
grep -Ea "device-mapper: verity: [0-9]+:[0-9]+: data block [0-9]+ is corrupted" bad.log >corrupt.txt ||
	{ tail -n 30 bad.log >&2; fail "no dm-verity corruption report from the kernel"; }
echo "verity boot: flipped byte at $pos: $(head -n 1 corrupt.txt | tr -d '\r'); then: $(grep -a -m1 BOOT-FAIL bad.log | tr -d '\r')" >&2
! grep -Eqa "^(VERITY-ROOT-OK|BOOT-OK)" bad.log || fail "the marker appeared with a corrupted root"
# The root mounted (the block is file data, not metadata): the read of
# that file is what dm-verity refused.
grep -qa "^BOOT-FAIL root: cannot read /etc/boot-token" bad.log ||
	fail "the failure is not the root's read of /etc/boot-token"
echo "verity boot: ok (root hash $root; corrupted root-a refused)"
