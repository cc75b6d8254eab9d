# cramfs from a kiln tree (no root needed): owners at the limits
# (uid 65535, gid 255), modes, a device node, symlinks; fsck.cramfs
# checks the image and (as root) extracts exactly those; the image's
# `name` is the volume name (as genimage's -n); two builds in other
# directories with another umask are identical; an empty root and a tree
# of empty directories (-p) are mkfs.cramfs's bytes (as any user).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/cramfs/helpers.bash"
need cmp od mkfs.cramfs
mkdir -p input/skel/etc
echo frog >input/skel/etc/hostname
head -c 70000 /dev/urandom >input/skel/blob
cat >c.cfg <<'C'
tree t {
	layer { dir = "skel" }
	file /etc/motd { content = "hello\n" mode = 0640 uid = 65535 gid = 255 }
	mkdir /var/empty { mode = 01777 }
	symlink /etc/link { target = "hostname" }
	node /dev/console { type = char major = 5 minor = 1 mode = 0600 }
	node /dev/sda { type = block major = 8 minor = 0 mode = 0660 gid = 6 }
}
image t.cramfs {
	cramfs { extraargs = "-e 3" }
	name = "kiln-volume"
	tree = t
}
C
"$KILN" build --inputpath input --outputpath out --tmppath tmp c.cfg >/dev/null ||
	fail "kiln build"
fsck.cramfs -v out/t.cramfs >fsck.txt 2>&1 || { cat fsck.txt; fail "fsck.cramfs"; }
[ "$(dd if=out/t.cramfs bs=1 skip=48 count=11 status=none)" = kiln-volume ] ||
	fail "volume name is not the image's name"
[ "$(od -An -tu4 -j36 -N4 out/t.cramfs | tr -d ' ')" = 3 ] || fail "edition is not 3"
if [ "$(id -u)" = 0 ]; then
	extract out/t.cramfs x
	listing x >got.txt
	cat >want.py <<'PY'
import sys
want = {
    "blob": ("0o100644", "0:0"), "dev/console": ("0o20600", "0:0", "5:1"),
    "dev/sda": ("0o60660", "0:6", "8:0"), "etc/hostname": ("0o100644", "0:0"),
    "etc/link": ("0o120777", "0:0", "-> hostname"), "etc/motd": ("0o100640", "65535:255"),
    "var/empty": ("0o41777", "0:0"),
}
got = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1])}
for path, w in want.items():
    g = got.get(path)
    if not g or g[0] != w[0] or g[1] != w[1] or (len(w) > 2 and " ".join(g[2:]) != w[2]):
        sys.exit("%s: got %s, want %s" % (path, g, w))
PY
	python3 want.py got.txt || fail "extracted tree differs"
	cmp x/blob input/skel/blob || fail "blob differs"
else
	echo "SKIP (not root): extraction (fsck.cramfs creates device nodes and owners)" >&2
fi
mkdir -p other
cp -r input c.cfg other/
(cd other && umask 077 && "$KILN" build --no-cache --inputpath input --outputpath out \
	--tmppath tmp c.cfg >/dev/null) || fail "second build"
cmp out/t.cramfs other/out/t.cramfs || fail "two builds differ"
mkdir -p empty nested/d/x/y nested/e
for dir in empty nested; do
	printf 'tree t { layer { dir = "%s" keep-owner = true } }\nimage %s.cramfs { cramfs { extraargs = "-p" } tree = t }\n' \
		"$dir" "$dir" >"$dir.cfg"
	"$KILN" build --inputpath . --outputpath out --tmppath tmp "$dir.cfg" >/dev/null ||
		fail "$dir: kiln build"
	mkfs.cramfs -p "$dir" "$dir.ref" >/dev/null 2>&1 || fail "$dir: mkfs.cramfs"
	cmp "out/$dir.cramfs" "$dir.ref" || fail "$dir: kiln and mkfs.cramfs -p differ"
done
echo "cramfs tree: ok"
