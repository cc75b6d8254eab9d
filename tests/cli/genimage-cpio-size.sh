# Invoked as genimage, a cpio image is the archive itself: genimage ignores
# `size` for cpio, so `size = 1M` must not pad it to 1 MiB. Twin: Debian's
# genimage on the same config writes the same number of bytes.
. "$KILN_TESTLIB"
need cpio genimage
mkdir -p input root/etc
echo hi > root/etc/x
cat > c.cfg <<'CFG'
image b.cpio { cpio { format = "newc" } size = 1M }
image z.cpio { cpio { format = "newc" compress = "gzip" } size = 1M }
CFG
"$GENIMAGE_KILN" --config c.cfg --outputpath k 2>/dev/null || fail "kiln failed"
genimage --config c.cfg --outputpath g --tmppath gtmp >/dev/null 2>&1 || fail "genimage failed"
[ "$(stat -c %s k/b.cpio)" = "$(stat -c %s g/b.cpio)" ] ||
	fail "b.cpio is $(stat -c %s k/b.cpio) bytes, genimage writes $(stat -c %s g/b.cpio)"
[ "$(stat -c %s k/z.cpio)" -lt 4096 ] || fail "z.cpio padded to $(stat -c %s k/z.cpio) bytes"
cpio -it < k/b.cpio 2>/dev/null | grep -qx etc/x || fail "b.cpio does not list etc/x"
zcat k/z.cpio | cpio -it 2>/dev/null | grep -qx etc/x || fail "z.cpio does not list etc/x"
echo "genimage-cpio-size: ok"
