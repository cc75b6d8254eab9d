# follow-symlinks = true: archive members whose parents are symlinks in the
# tree (a usrmerged base: /bin -> usr/bin) are resolved inside the tree,
# never on the host: absolute and ../ targets stay within the tree root.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3
mkdir -p input out-of-tree
make_tar input/base.tar '[{"name": "usr/bin/", "type": "d"}, {"name": "bin", "type": "l", "link": "usr/bin"},
  {"name": "up", "type": "l", "link": "../../../.."}, {"name": "abs", "type": "l", "link": "/usr"},
  {"name": "loop1", "type": "l", "link": "loop2"}, {"name": "loop2", "type": "l", "link": "loop1"}]'
make_tar input/pkg.tar '[{"name": "./bin/busybox", "data": "BB", "mode": "755"},
  {"name": "./bin/sh", "type": "h", "link": "./bin/busybox"},
  {"name": "./up/etc/evil", "data": "contained"},
  {"name": "./abs/lib/x", "data": "x"}]'
cat >kiln.cfg <<'CFG'
tree t {
	layer { archive = "base.tar" }
	layer { archive = "pkg.tar" follow-symlinks = true }
}
image x.cpio { cpio { } tree = t }
CFG
"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt || fail "kiln ls"
expect_ls ls.txt /usr/bin/busybox - 0755 0:0 2
expect_ls ls.txt /usr/bin/sh h 0755 0:0 2 /usr/bin/busybox
expect_ls ls.txt /etc/evil - 0644 0:0 9
expect_ls ls.txt /usr/lib/x - 0644 0:0 1
expect_ls ls.txt /bin l 0777 0:0 7 usr/bin
[ ! -e /etc/evil ] || fail "written on the host"

# Without the option the same layer is refused.
sed -i 's/ follow-symlinks = true//' kiln.cfg
expect_fail 1 'member "./bin/busybox": parent "/bin" is a symlink \(to "usr/bin"\)' \
	"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio

make_tar input/loop.tar '[{"name": "loop1/x", "data": "x"}]'
cat >kiln.cfg <<'CFG'
tree t {
	layer { archive = "base.tar" }
	layer { archive = "loop.tar" follow-symlinks = true }
}
image x.cpio { cpio { } tree = t }
CFG
expect_fail 1 'member "loop1/x": too many levels of symbolic links' \
	"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
