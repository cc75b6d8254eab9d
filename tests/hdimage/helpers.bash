# Shared by tests/hdimage/*.sh (sourced after $KILN_TESTLIB).
need sfdisk sgdisk

# Sparse input files: a few marker bytes in otherwise empty images.
mk_inputs() {
	mkdir -p in root
	truncate -s 8M in/boot.vfat
	printf 'BOOTFAT' | dd of=in/boot.vfat conv=notrunc status=none
	truncate -s 24M in/rootfs.ext4
	printf 'ROOTEXT' | dd of=in/rootfs.ext4 bs=1 seek=1024 conv=notrunc status=none
	truncate -s 16M in/efi.vfat
	printf 'EFIFAT' | dd of=in/efi.vfat conv=notrunc status=none
	truncate -s 40M in/root.ext4
	printf 'ROOT64' | dd of=in/root.ext4 bs=1 seek=1080 conv=notrunc status=none
	# a U-Boot-like blob: fixed pseudo-random bytes (reproducible)
	python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(300000)))' >in/u-boot.bin
	python3 -c 'import random,sys; r=random.Random(9); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(70000)))' >in/spl.bin
}

# sfdisk -d without the device line and without the device names.
dump() { sfdisk -d "$1" | grep -v '^device:' | sed "s#^$1##"; }

# The image checks clean with both checkers.
check_clean() {
	local img=$1 out
	out=$(sfdisk -V "$img" 2>&1) || fail "sfdisk -V $img: $out"
	echo "$out" | grep -q 'No errors detected' || fail "sfdisk -V $img: $out"
	if sfdisk -d "$img" | grep -q '^label: gpt'; then
		out=$(sgdisk -v "$img" 2>&1) || fail "sgdisk -v $img: $out"
		echo "$out" | grep -q 'No problems found' || fail "sgdisk -v $img: $out"
	fi
}

# genimage_pair CONFIG: build CONFIG with Debian's genimage (v16) into og/
# and with kiln in genimage mode into ok/.
genimage_pair() {
	local cfg=$1
	rm -rf og ok tg tk
	genimage --rootpath root --tmppath tg --inputpath in --outputpath og --config "$cfg" \
		>g.log 2>&1 || { cat g.log; fail "genimage (v16) failed on $cfg"; }
	"$GENIMAGE_KILN" --rootpath root --tmppath tk --inputpath in --outputpath ok \
		--config "$cfg" || fail "kiln (genimage mode) failed on $cfg"
}

# GPT header fields where genimage v16 and upstream differ: the first
# usable LBA (offset 40, 8 bytes) and, through it, the header CRC (16, 4).
# Prints the byte offsets of a header at LBA $2 that may differ.
gpt_header_masked() {
	local img=$1 lba=$2
	python3 - "$img" "$lba" <<'PY'
import sys
f = open(sys.argv[1], 'rb'); lba = int(sys.argv[2])
f.seek(lba * 512); h = bytearray(f.read(92))
h[16:20] = b'\0' * 4; h[40:48] = b'\0' * 8
sys.stdout.write(h.hex())
PY
}

# cmp two files except listed [start, end) byte ranges.
cmp_except() {
	python3 - "$@" <<'PY'
import sys
a, b = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
if len(a) != len(b):
    sys.exit("length differs: %d != %d" % (len(a), len(b)))
skip = [tuple(int(x, 0) for x in r.split(':')) for r in sys.argv[3:]]
a, b = bytearray(a), bytearray(b)
for s, e in skip:
    a[s:e] = b'\0' * (e - s); b[s:e] = b'\0' * (e - s)
if a != b:
    i = next(i for i in range(len(a)) if a[i] != b[i])
    sys.exit("first difference at byte %d (0x%x)" % (i, i))
PY
}

# first-lba from sfdisk -d
first_lba() { sfdisk -d "$1" | sed -n 's/^first-lba: //p'; }
