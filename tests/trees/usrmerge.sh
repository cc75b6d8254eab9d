# `merged-usr = true` on a tree, with real Debian packages: busybox-static
# ships /bin/busybox, the kernel package /lib/modules/. The image has
# /bin, /sbin, /lib as symlinks into /usr (e2fsck, debugfs), busybox's
# bytes at /usr/bin/busybox (dpkg-deb's own extraction), the modules at
# /usr/lib/modules where kmod's modprobe still finds them through /lib.
# The same file under /bin and /usr/bin is kept once; different ones
# are an error naming both layers, or follow conflicts = keep-first /
# replace. A /bin that is a symlink elsewhere is refused.
. "$KILN_TESTLIB"
need dpkg-deb debugfs e2fsck modprobe cpio
# The kernel and busybox-static packages of examples/rpi3/kiln.lock,
# from the suite's store.
. "$KILN_SRC/tests/boot/lib-debs.inc"
DEBS=$(example_debs 'linux-image-[0-9.]+-[0-9]+-arm64' 'busybox-static') ||
	fail "kernel and busybox-static of examples/rpi3/kiln.lock: not in the lock, or kiln fetch failed"
KDEB=$(echo "$DEBS" | sed -n 1p)
BDEB=$(echo "$DEBS" | sed -n 2p)

mkdir -p in/d/bin in/d/usr/bin in/d/sbin
echo same >in/d/bin/same
echo same >in/d/usr/bin/same
echo tool >in/d/sbin/tool
cat >kiln.cfg <<EOF
tree root {
	merged-usr = true
	layer { deb = "$BDEB" }
	layer { dir = "d" }
	layer { deb = "$KDEB" modules = { "ext4" } }
}
image root.ext4 { ext4 { } size = 24M tree = root }
image root.cpio { cpio { } tree = root }
EOF
"$KILN" build --inputpath in --tmppath tmp --outputpath out kiln.cfg || fail "kiln build"
e2fsck -fn out/root.ext4 >/dev/null || fail "e2fsck"
for l in bin sbin lib; do
	st=$(debugfs -R "stat /$l" out/root.ext4 2>/dev/null)
	[[ $st == *"Type: symlink"* && $st == *"Fast link dest: \"usr/$l\""* ]] ||
		{ echo "$st"; fail "/$l is not a symlink to usr/$l"; }
done
mkdir pkg
dpkg-deb --fsys-tarfile "$BDEB" | tar -x -C pkg ./bin/busybox
debugfs -R "dump /usr/bin/busybox $T/bb" out/root.ext4 2>/dev/null
cmp pkg/bin/busybox bb || fail "/usr/bin/busybox differs from the package's /bin/busybox"
debugfs -R "ls -p /usr/bin" out/root.ext4 2>/dev/null | awk -F/ '{ print $6 }' | grep -v '^$' |
	sort >usrbin.txt
printf '%s\n' . .. busybox same | sort | diff - usrbin.txt || fail "/usr/bin holds other entries"
debugfs -R "cat /usr/sbin/tool" out/root.ext4 2>/dev/null | grep -qx tool || fail "/usr/sbin/tool"

# kmod finds the modules through the /lib symlink.
mkdir img && (cd img && cpio_extract ../out/root.cpio)
[ -L img/lib ] && [ "$(readlink img/lib)" = usr/lib ] || fail "cpio: /lib"
V=$(ls img/usr/lib/modules)
modprobe --dry-run --show-depends -d img -S "$V" ext4 | grep -q 'kernel/fs/ext4/ext4.ko' ||
	fail "modprobe ext4 through /lib"

# Different files under /bin and /usr/bin.
mkdir -p in/d2/bin
echo different >in/d2/bin/busybox
cat >clash.cfg <<EOF
tree root {
	layer { deb = "$BDEB" dest = "/usr" include = { "bin/busybox" } }
	layer { dir = "d2" }
	merged-usr = true
}
image root.cpio { cpio { } tree = root }
EOF
expect_fail 1 "^kiln: error: clash\.cfg:4: (image 'root\.cpio': )?tree 'root': merged-usr: \"/bin/busybox\" \(dir \"d2\" \(clash\.cfg:3\)\) and \"/usr/bin/busybox\" \(deb \"$BDEB\" \(clash\.cfg:2\)\) differ" \
	"$KILN" build --inputpath in --tmppath tmp --outputpath cout clash.cfg
expect_no_output cout
size_of() { "$KILN" ls --inputpath in --tmppath tmp clash.cfg root.cpio |
	awk -F'\t' '$6 == "/usr/bin/busybox" { print $4 }'; }
sed -i 's/merged-usr = true/merged-usr = true\n\tconflicts = replace/' clash.cfg
[ "$(size_of)" = 10 ] || fail "replace: the later layer's /bin/busybox should win"
sed -i 's/conflicts = replace/conflicts = keep-first/' clash.cfg
[ "$(size_of)" = "$(stat -c %s pkg/bin/busybox)" ] || fail "keep-first: the package's should stay"

# A /bin symlink that points elsewhere.
cat >bad.cfg <<'EOF'
tree root {
	symlink /bin { target = "opt/bin" }
	merged-usr = true
}
image root.cpio { cpio { } tree = root }
EOF
expect_fail 1 "^kiln: error: bad\.cfg:3: (image 'root\.cpio': )?tree 'root': merged-usr: \"/bin\" is a symlink to \"opt/bin\"" \
	"$KILN" build --inputpath in --tmppath tmp --outputpath bout bad.cfg
expect_no_output bout
exit 0
