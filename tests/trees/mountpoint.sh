# genimage's rootpath + mountpoint semantics still hold next to trees: an
# image with mountpoint /boot gets that subtree, the root image gets an
# empty /boot; a tree image in the same config is unaffected.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
mkdir -p root/boot/overlays root/etc input
echo k >root/boot/kernel.img
echo o >root/boot/overlays/x.dtbo
echo h >root/etc/hostname
cat >kiln.cfg <<'CFG'
tree extra { file /hello { content = "hi\n" } }
image boot.cpio { cpio { } mountpoint = "/boot" }
image root.cpio { cpio { } }
image t.cpio { cpio { } tree = extra }
CFG
"$KILN" ls --rootpath root --inputpath input --tmppath tmp kiln.cfg boot.cpio >boot.txt
"$KILN" ls --rootpath root --inputpath input --tmppath tmp kiln.cfg root.cpio >root.txt
"$KILN" ls --rootpath root --inputpath input --tmppath tmp kiln.cfg t.cpio >t.txt
expect_ls boot.txt /kernel.img - 0644 0:0 2
expect_ls boot.txt /overlays/x.dtbo - 0644 0:0 2
expect_ls root.txt /boot d 0755 0:0
expect_ls root.txt /etc/hostname - 0644 0:0 2
grep -q '/boot/kernel.img' root.txt && fail "root image holds /boot's files"
expect_ls t.txt /hello - 0644 0:0 3
grep -q hostname t.txt && fail "tree image picked up rootpath"
[ "$(wc -l <t.txt)" = 2 ] || fail "tree image: $(cat t.txt)"

# kiln ls --tree NAME lists one tree without an image.
"$KILN" ls --inputpath input --tmppath tmp --tree extra kiln.cfg >tree.txt
cmp -s tree.txt t.txt || fail "--tree differs from the image listing"
expect_fail 1 'kiln.cfg: tree "nope" is not defined' "$KILN" ls --tree nope kiln.cfg
