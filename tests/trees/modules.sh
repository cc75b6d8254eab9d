# Kernel modules by name (`modules = { ... }` on a layer), from the real
# Debian arm64 kernel package (which ships no modules.dep: the names
# resolve through each module's .modinfo). The oracle is kmod itself:
# the whole lib/modules of the package, extracted by dpkg-deb and indexed
# by depmod, says which files `modprobe --show-depends` loads for each
# name; the image must hold exactly those files, kmod's modprobe must
# load the same sequence from the image's own tree (its modules.dep.bin
# and modules.softdep), and depmod run on the image's tree must write
# the modules.dep kiln wrote. Then a kernel tree that ships modules.dep
# (and a compressed module), and the errors: a misspelt name (its own
# line, did-you-mean), no kernel, two kernels, a file that is no module.
. "$KILN_TESTLIB"
need dpkg-deb depmod modprobe cpio e2fsck debugfs xz
# The kernel package of examples/rpi3/kiln.lock, from the suite's store.
. "$KILN_SRC/tests/boot/lib-debs.inc"
KDEB=$(example_debs 'linux-image-[0-9.]+-[0-9]+-arm64') ||
	fail "the kernel package of examples/rpi3/kiln.lock: not in the lock, or kiln fetch failed"

NAMES="ext4 sdhci-iproc bcm2835 virtio_blk virtio_mmio"
cat >kiln.cfg <<EOF
tree mods {
	layer {
		deb = "$KDEB"
		modules = {
			"ext4", "sdhci-iproc",
			"bcm2835", "virtio_blk", "virtio_mmio"
		}
	}
}
image initrd.cpio { cpio { } tree = mods }
image mods.ext4 { ext4 { } size = 16M tree = mods }
EOF
"$KILN" build --tmppath tmp --outputpath out kiln.cfg || fail "kiln build"

# The oracle: the package's whole module tree, indexed by depmod.
mkdir full
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C full --wildcards './lib/modules/*'
V=$(ls full/lib/modules)
[ "$(echo "$V" | wc -l)" = 1 ] || fail "expected one kernel in the package: $V"
depmod -b full "$V" 2>/dev/null || fail "depmod on the package's modules"
loads() { # ROOT NAME...: the module files modprobe loads, relative, in order
	local root=$1 n
	shift
	for n in "$@"; do
		modprobe --dry-run --show-depends -d "$root" -S "$V" "$n" ||
			fail "modprobe --show-depends $n in $root"
	done | sed -n "s|^insmod $(realpath "$root")/*lib/modules/$V/||p" | sed 's/ *$//'
}
# shellcheck disable=SC2086 # one argument per name
loads full $NAMES >want-loads.txt
sort -u want-loads.txt >want-files.txt
[ "$(wc -l <want-files.txt)" = 11 ] || { cat want-files.txt; fail "the oracle changed: not 11 modules"; }

mkdir img
(cd img && cpio_extract ../out/initrd.cpio)
(cd "img/lib/modules/$V" && find . -name '*.ko*' | sed 's|^\./||' | sort) >got-files.txt
diff want-files.txt got-files.txt || fail "the image holds other modules than kmod loads"
# kmod's modprobe on the image's own tree: the same loads, same order.
# shellcheck disable=SC2086
loads img $NAMES >got-loads.txt
diff want-loads.txt got-loads.txt || fail "modprobe loads differently from the image"
# ... and by alias, through modules.alias.bin (ext4's "fs-ext4").
loads img fs-ext4 | grep -qx 'kernel/fs/ext4/ext4.ko' || fail "alias fs-ext4 not found"
# depmod on the image's tree writes the modules.dep kiln wrote.
cp -a img redo
depmod -b redo "$V" 2>/dev/null || fail "depmod on the image's tree"
diff <(sort "img/lib/modules/$V/modules.dep") <(sort "redo/lib/modules/$V/modules.dep") ||
	fail "modules.dep differs from depmod's"
grep -qx 'softdep ext4 pre: crc32c_generic' "img/lib/modules/$V/modules.softdep" ||
	fail "ext4's soft dependency"
# The ext4 image holds the same files, checked by e2fsck.
e2fsck -fn out/mods.ext4 >/dev/null || fail "e2fsck"
mkdir -p e4 && debugfs -R "rdump /lib e4" out/mods.ext4 2>/dev/null
diff -r img/lib e4/lib || fail "the ext4 image's /lib differs from the cpio's"

# A misspelt name: its own line, the kernel, a suggestion; nothing written.
sed -i 's/"bcm2835", "virtio_blk"/"bcm2835", "virtio-blck"/' kiln.cfg
rm -rf out
expect_fail 1 "^kiln: error: kiln\.cfg:6: image 'initrd\.cpio': tree 'mods': module \"virtio-blck\" is not in kernel $V \(did you mean \"virtio_blk\"\?\)\$" \
	"$KILN" build --tmppath tmp --outputpath out kiln.cfg
[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line"; }
expect_no_output out

# A kernel tree that ships modules.dep (and modules.softdep): used as it
# is, with a compressed module; no .modinfo is read (these are no ELF).
K=kdir/lib/modules/9.9-test
mkdir -p "$K/kernel/a" "$K/kernel/b"
for m in a/top b/mid b/low b/other; do echo "$m" >"$K/kernel/$m.ko"; done
echo compressed | xz >"$K/kernel/b/soft.ko.xz"
printf '%s\n' 'kernel/a/top.ko: kernel/b/mid.ko kernel/b/low.ko' 'kernel/b/mid.ko: kernel/b/low.ko' \
	'kernel/b/low.ko:' 'kernel/b/other.ko:' 'kernel/b/soft.ko.xz:' >"$K/modules.dep"
echo 'softdep low post: soft' >"$K/modules.softdep"
cat >dir.cfg <<'EOF'
tree k { layer { dir = "kdir" modules = { "top" } } }
image k.cpio { cpio { } tree = k }
EOF
"$KILN" ls --inputpath . --tmppath tmp dir.cfg k.cpio | cut -f6 | grep '\.ko' >dir-ls.txt || fail "kiln ls (dir)"
printf '%s\n' /lib/modules/9.9-test/kernel/a/top.ko /lib/modules/9.9-test/kernel/b/low.ko \
	/lib/modules/9.9-test/kernel/b/mid.ko /lib/modules/9.9-test/kernel/b/soft.ko.xz |
	diff - dir-ls.txt || fail "the closure of top (with low's soft dependency)"
"$KILN" build --inputpath . --tmppath tmp --outputpath dout dir.cfg || fail "kiln build (dir)"
mkdir dimg && (cd dimg && cpio_extract ../dout/k.cpio)
grep -qx 'kernel/a/top.ko: kernel/b/mid.ko kernel/b/low.ko' dimg/lib/modules/9.9-test/modules.dep ||
	fail "top's modules.dep line"
modprobe --dry-run --show-depends -d dimg -S 9.9-test top >dprobe.txt || fail "modprobe top"
[ "$(sed 's|.*/kernel/||; s/ *$//' dprobe.txt | tr '\n' ' ')" = "b/low.ko b/soft.ko.xz b/mid.ko a/top.ko " ] ||
	{ cat dprobe.txt; fail "modprobe's sequence for top"; }

# Errors: two kernels, none, a dependency that is missing, no module.
mkdir -p kdir/lib/modules/9.8-other
expect_fail 1 "^kiln: error: dir\.cfg:1: (image 'k\.cpio': )?tree 'k': modules: the layer holds 2 kernels \(lib/modules/9\.8-other, lib/modules/9\.9-test\)" \
	"$KILN" ls --inputpath . --tmppath tmp dir.cfg k.cpio
rmdir kdir/lib/modules/9.8-other
mkdir -p empty/etc
sed 's/kdir/empty/' dir.cfg >none.cfg
expect_fail 1 "^kiln: error: none\.cfg:1: image 'k\.cpio': tree 'k': modules: the layer holds no lib/modules/VERSION/ directory" \
	"$KILN" build --inputpath . --tmppath tmp --outputpath nout none.cfg
expect_no_output nout
echo needy >"$K/kernel/b/needy.ko"
echo 'kernel/b/needy.ko: kernel/b/gone.ko' >>"$K/modules.dep"
sed 's/"top"/"needy"/' dir.cfg >gone.cfg
expect_fail 1 "^kiln: error: gone\.cfg:1: (image 'k\.cpio': )?tree 'k': modules: a module needs \"gone\", which kernel 9\.9-test does not have" \
	"$KILN" ls --inputpath . --tmppath tmp gone.cfg k.cpio
rm "$K/modules.dep"
expect_fail 1 "^kiln: error: dir\.cfg:1: (image 'k\.cpio': )?tree 'k': modules: lib/modules/9\.9-test/kernel/a/top\.ko: not a kernel module \(no ELF \.modinfo section\)" \
	"$KILN" ls --inputpath . --tmppath tmp dir.cfg k.cpio
exit 0
