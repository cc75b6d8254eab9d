# Kernel modules by name from a package layer: a kernel package (with its
# own modules.dep) in a local flat repository, locked, fetched and then
# taken as `modules = { "top" }` in a merged-/usr tree. The image holds
# the closure under /usr/lib/modules (cpio listing), kmod's modprobe
# finds it through /lib, and `kiln ls --packages` names the package of
# each module (the modules.dep kiln wrote comes from no package).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need cpio modprobe

mkkey
d=$T/src/kernel
K=$d/lib/modules/9.9-test
mkdir -p "$d/DEBIAN" "$K/kernel/a" "$K/kernel/b" "$d/boot"
printf '%s\n' 'Package: kernel-test' 'Version: 1:9.9-1' 'Architecture: arm64' \
	'Maintainer: kiln tests <t@example.invalid>' 'Description: a kernel' >"$d/DEBIAN/control"
for m in a/top b/mid b/unused; do echo "$m" >"$K/kernel/$m.ko"; done
echo image >"$d/boot/vmlinuz-9.9-test"
printf '%s\n' 'kernel/a/top.ko: kernel/b/mid.ko' 'kernel/b/mid.ko:' 'kernel/b/unused.ko:' >"$K/modules.dep"
mkdir -p cfg/flat
dpkg-deb --root-owner-group -Zgzip --build "$d" cfg/flat/kernel-test_9.9-1_arm64.deb >/dev/null
(cd cfg/flat && apt-ftparchive packages . >Packages && apt-ftparchive release . >Release.new &&
	mv Release.new Release)
sign cfg/flat
cat >cfg/kiln.cfg <<EOF
repository local {
	url = "flat"
	architectures = { arm64 }
	keyring = "$KEYRING"
}
tree t {
	merged-usr = true
	layer { packages = { "kernel-test" } modules = { "top" } }
}
image t.cpio { cpio { } tree = t }
EOF
"$KILN" lock cfg/kiln.cfg || fail "kiln lock"
"$KILN" fetch cfg/kiln.cfg || fail "kiln fetch"
"$KILN" build --tmppath tmp --outputpath out cfg/kiln.cfg || fail "kiln build"
mkdir img && (cd img && cpio_extract ../out/t.cpio)
(cd img && find . -name '*.ko' | sort) >kos.txt
printf '%s\n' ./usr/lib/modules/9.9-test/kernel/a/top.ko ./usr/lib/modules/9.9-test/kernel/b/mid.ko |
	diff - kos.txt || fail "the image holds other modules than top's closure"
[ ! -e img/usr/boot ] && [ ! -e img/boot ] || fail "a modules layer took more than modules"
modprobe --dry-run --show-depends -d img -S 9.9-test top | sed 's|.*/kernel/||; s/ *$//' >probe.txt
printf '%s\n' b/mid.ko a/top.ko | diff - probe.txt || fail "modprobe through /lib"
"$KILN" ls --packages --tmppath tmp cfg/kiln.cfg t.cpio >ls.txt || fail "kiln ls --packages"
pkg_of() { awk -F'\t' -v p="$1" '$6 == p { print $10 }' ls.txt; }
[ "$(pkg_of /usr/lib/modules/9.9-test/kernel/a/top.ko)" = "kernel-test=1:9.9-1" ] ||
	{ cat ls.txt; fail "ls --packages: top.ko"; }
[ "$(pkg_of /usr/lib/modules/9.9-test/modules.dep)" = "-" ] || fail "ls --packages: modules.dep"
[ "$(pkg_of /lib)" = "-" ] || fail "ls --packages: the /lib symlink"
exit 0
