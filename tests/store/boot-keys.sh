# FIT, U-Boot env and boot script images are kept in the build cache:
# a no-op rebuild takes them from it; a changed /incbin/ file, env file
# (with expand, a changed variable) or script file rebuilds exactly the
# image that reads it, and every output equals a --no-cache build's.
. "$KILN_TESTLIB"
need mkimage
mkdir -p input
head -c 100000 /dev/urandom >input/Image
head -c 3001 /dev/urandom >input/board.dtb
cat >input/boot.its <<'T'
/dts-v1/;
/ {
	description = "keyed";
	#address-cells = <1>;
	images {
		kernel {
			data = /incbin/("Image");
			type = "kernel"; arch = "arm64"; os = "linux"; compression = "none";
			load = <0x200000>; entry = <0x200000>;
			hash-1 { algo = "sha256"; };
		};
		fdt {
			data = /incbin/("board.dtb");
			type = "flat_dt"; arch = "arm64"; compression = "none";
		};
	};
	configurations { default = "c"; c { kernel = "kernel"; fdt = "fdt"; }; };
};
T
printf 'bootcmd=run ${BOOT}\nbootdelay=0\n' >input/env.txt
printf 'echo one\nbootm\n' >input/boot.cmd
cat >k.cfg <<'C'
image boot.itb { fit { its = "boot.its" } }
image structured.itb {
	fit {
		image kernel { data = "Image" type = "kernel" arch = "arm64" os = "linux" gzip = true load = 0x200000 entry = 0x200000 }
		configuration c { kernel = "kernel" }
	}
}
image env.bin { size = 0x2000 ubootenv { file = "env.txt" expand = true } }
image boot.scr { bootscript { file = "boot.cmd" } }
image boot.vfat { vfat { files = { "boot.itb", "boot.scr", "env.bin" } } size = 8M }
C

# run NAME [options]: build k.cfg into NAME/ with --explain.
run() {
	local n=$1
	shift
	BOOT=mmc "$KILN" build --explain --inputpath input --outputpath "$n" --tmppath "$n.tmp" "$@" \
		k.cfg >"$n.log" 2>&1 || { cat "$n.log"; fail "build $n"; }
}
# same NAME: NAME/ and a --no-cache build hold the same files.
same() {
	rm -rf ref
	run ref --no-cache
	for f in boot.itb structured.itb env.bin boot.scr boot.vfat; do
		cmp "$1/$f" "ref/$f" || fail "$1/$f differs from a build without the store"
	done
}
# explained NAME LINE: NAME.log has LINE.
explained() { grep -qxF "$2" "$1.log" || { cat "$1.log"; fail "$1: no line '$2'"; }; }

run a
run a
for f in boot.itb structured.itb env.bin boot.scr boot.vfat; do
	explained a "$f: from the build cache"
done
same a
mkimage -l a/boot.itb >/dev/null || fail "mkimage -l rejects the cached FIT"

head -c 100000 /dev/urandom >input/Image
run a
explained a "boot.itb: built: changed: fit data /images/kernel/data"
explained a "env.bin: from the build cache"
explained a "boot.scr: from the build cache"
grep -q "^structured.itb: built: changed: fit tree" a.log || { cat a.log; fail "structured FIT not rebuilt"; }
grep -q "^boot.vfat: built: changed: child 'boot.itb'" a.log || { cat a.log; fail "vfat not rebuilt"; }
same a

BOOT=usb "$KILN" build --explain --inputpath input --outputpath a --tmppath a.tmp k.cfg >a.log 2>&1 \
	|| { cat a.log; fail "build with BOOT=usb"; }
explained a "env.bin: built: changed: content"
explained a "boot.itb: from the build cache"
printf 'echo two\nbootm\n' >input/boot.cmd
run a
explained a "boot.scr: built: changed: content"
# BOOT=mmc again: the env of the first builds, still in the store.
explained a "env.bin: from the build cache"
same a
echo "boot-keys: ok"
