# fip: fiptool lists each entry with its size and offset (fiptool's
# order, --align, --blob after the known names); fiptool unpack gives
# every input back byte-identical; genimage 16 (which runs fiptool)
# writes the same bytes; two builds are identical; kiln plan shows the
# layout.
. "$KILN_TESTLIB"
need fiptool genimage cmp
mkdir -p input
head -c 1000 /dev/urandom > input/bl2.bin
head -c 70001 /dev/urandom > input/bl31.bin
head -c 333 /dev/urandom > input/bl33.bin
head -c 5 /dev/urandom > input/tee.bin
head -c 4097 /dev/urandom > input/hw.dtb
head -c 77 /dev/urandom > blob.bin
cat > f.cfg <<'C'
image fip.bin {
	fip {
		nt-fw = "bl33.bin"
		tb-fw = "bl2.bin"
		soc-fw = "bl31.bin"
		tos-fw = { "tee.bin", "bl2.bin" }
		hw-config = "hw.dtb"
		extraargs = "--align 16 --blob uuid=01234567-89ab-cdef-0123-456789abcdef,file=blob.bin"
	}
}
image plain.fip {
	fip { soc-fw = "bl31.bin" nt-fw = "bl33.bin" }
}
C
"$KILN" plan f.cfg > plan.txt
grep -q "fip: 7 entries, align 16, 76912 bytes" plan.txt || { cat plan.txt; fail "plan"; }
"$KILN" build --outputpath out --tmppath tmp f.cfg >/dev/null
fiptool info out/fip.bin > info.txt
cat > want.txt <<'W'
Trusted Boot Firmware BL2: offset=0x150, size=0x3E8, cmdline="--tb-fw"
EL3 Runtime Firmware BL31: offset=0x540, size=0x11171, cmdline="--soc-fw"
Secure Payload BL32 (Trusted OS): offset=0x116C0, size=0x5, cmdline="--tos-fw"
Secure Payload BL32 Extra1 (Trusted OS Extra1): offset=0x116D0, size=0x3E8, cmdline="--tos-fw-extra1"
Non-Trusted Firmware BL33: offset=0x11AC0, size=0x14D, cmdline="--nt-fw"
HW_CONFIG: offset=0x11C10, size=0x1001, cmdline="--hw-config"
01234567-89AB-CDEF-0123-456789ABCDEF: offset=0x12C20, size=0x4D, cmdline="--blob"
W
diff want.txt info.txt || fail "fiptool info differs"
mkdir un && (cd un && fiptool unpack ../out/fip.bin >/dev/null) || fail "fiptool unpack"
for p in tb-fw:bl2.bin soc-fw:bl31.bin tos-fw:tee.bin tos-fw-extra1:bl2.bin nt-fw:bl33.bin hw-config:hw.dtb; do
	cmp un/${p%%:*}.bin input/${p#*:} || fail "unpacked ${p%%:*} differs from ${p#*:}"
done
cmp un/01234567-89AB-CDEF-0123-456789ABCDEF.bin blob.bin || fail "unpacked blob differs"
[ "$(stat -c %s out/fip.bin)" = 76912 ] || fail "size is not the aligned end"

# twin: genimage 16 runs fiptool on the same config
genimage --config f.cfg --outputpath gout --tmppath gtmp --rootpath "$PWD/input" \
	--inputpath "$PWD/input" >/dev/null 2>&1 || fail "genimage failed"
cmp out/fip.bin gout/fip.bin || fail "fip.bin differs from genimage's"
cmp out/plain.fip gout/plain.fip || fail "plain.fip differs from genimage's"

# genimage mode: a disk image as an entry counts by its file, which
# genimage ends after the last partition's data (before `size`)
cat > d.cfg <<'C'
image part.img { hdimage { } size = 64k partition p { image = "bl33.bin" offset = 4k } }
image disk.fip { fip { nt-fw = "part.img" soc-fw = "bl31.bin" } }
C
mkdir -p kd gd
"$GENIMAGE_KILN" --config d.cfg --outputpath kd --tmppath kdt --rootpath "$PWD/input" \
	--inputpath "$PWD/input" >/dev/null 2>&1 || fail "kiln's genimage mode failed"
genimage --config d.cfg --outputpath gd --tmppath gdt --rootpath "$PWD/input" \
	--inputpath "$PWD/input" >/dev/null 2>&1 || fail "genimage failed on d.cfg"
cmp kd/disk.fip gd/disk.fip || fail "disk.fip differs from genimage's"

# reproducible
"$KILN" build --outputpath out2 --tmppath tmp2 f.cfg >/dev/null
cmp out/fip.bin out2/fip.bin || fail "two builds differ"
echo ok
