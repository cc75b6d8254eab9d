# bootscript: byte-identical to mkimage -T script (same SOURCE_DATE_EPOCH),
# listed by mkimage -l, checked by kiln inspect; errors.
. "$KILN_TESTLIB"
need mkimage

mkdir input
cat > input/boot.cmd <<'T'
echo "lab: boot.scr: importing uboot.env from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} 0x47000000 uboot.env && env import -c 0x47000000 0x4000 && run labboot
echo "BOOT-FAIL u-boot: boot.scr failed"
T
cat > k.cfg <<'C'
image boot.scr { bootscript { file = "boot.cmd" } }
image named.scr { bootscript { file = "boot.cmd" description = "reference-boot" arch = "arm" } }
image inline.scr { bootscript { script = "setenv a 1\nboot\n" } }
C
"$KILN" build --no-bmap k.cfg >/dev/null
mkimage -A arm64 -O linux -T script -C none -d input/boot.cmd ref.scr >/dev/null
cmp images/boot.scr ref.scr || fail "boot.scr differs from mkimage's"
mkimage -A arm -O linux -T script -C none -n reference-boot -d input/boot.cmd ref2.scr >/dev/null
cmp images/named.scr ref2.scr || fail "named.scr differs from mkimage's"
printf 'setenv a 1\nboot\n' > inline.cmd
mkimage -A arm64 -O linux -T script -C none -d inline.cmd ref3.scr >/dev/null
cmp images/inline.scr ref3.scr || fail "inline script differs from mkimage's"
mkimage -l images/boot.scr | grep -q 'AArch64 Linux Script' || fail "mkimage -l: not an AArch64 script"

"$KILN" inspect images/boot.scr > insp.txt || { cat insp.txt; fail "inspect rejected a good script"; }
grep -q 'header crc: .* OK' insp.txt && grep -q 'data crc: .* OK' insp.txt || fail "inspect output"
cp images/boot.scr bad.scr
printf 'X' | dd of=bad.scr bs=1 seek=100 conv=notrunc status=none
expect_fail 1 'check failed' "$KILN" inspect bad.scr
grep -q 'data crc: .*MISMATCH' "$T/.out" || fail "flipped data byte not caught"
head -c 90 images/boot.scr > trunc.scr
expect_fail 1 'check failed' "$KILN" inspect trunc.scr
grep -q 'TRUNCATED' "$T/.out" || fail "truncated script not caught"
cp images/boot.scr badh.scr
printf 'Z' | dd of=badh.scr bs=1 seek=40 conv=notrunc status=none
expect_fail 1 'check failed' "$KILN" inspect badh.scr
grep -q 'header crc: .*MISMATCH' "$T/.out" || fail "flipped header byte not caught"

rm -rf images
printf 'image b.scr { bootscript { file = "boot.cmd" script = "boot" } }\n' > bad.cfg
expect_fail 1 'exactly one of script' "$KILN" build --no-bmap bad.cfg
printf 'image b.scr { bootscript { } }\n' > bad.cfg
expect_fail 1 'exactly one of script' "$KILN" build --no-bmap bad.cfg
printf 'image b.scr { bootscript { script = "boot" arch = "arm65" } }\n' > bad.cfg
expect_fail 1 'bad.cfg:1: (image [^ ]+: )?arch = "arm65": not an architecture' "$KILN" build --no-bmap bad.cfg
# a long name is cut to 32 bytes, as mkimage does, with a warning
long=0123456789abcdef0123456789ABCDEF-tail
printf 'image long.scr { bootscript { file = "boot.cmd" description = "%s" } }\n' "$long" > long.cfg
"$KILN" build --no-bmap long.cfg 2> long.err >/dev/null
grep -q 'longer than the 32 bytes a legacy header holds' long.err || fail "no warning for a long name"
mkimage -A arm64 -O linux -T script -C none -n "$long" -d input/boot.cmd ref4.scr >/dev/null 2>&1
cmp images/long.scr ref4.scr || fail "long name: differs from mkimage's"
rm -rf images
printf 'image b.scr { bootscript { file = "nope.cmd" } }\n' > bad.cfg
expect_fail 1 'nope.cmd: No such file' "$KILN" build --no-bmap bad.cfg
expect_no_output images
echo ok
