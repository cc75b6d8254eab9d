# Invoked as genimage, hooks see genimage's environment (genimage.c,
# setenv_image): absolute paths, the mountpoint without its leading '/', and
# TMPPATH/root, TMPPATH/mp-a-b, the srcpath as written, or nothing (empty
# images; types that read no tree, e.g. hdimage) as IMAGEMOUNTPATH.
. "$KILN_TESTLIB"
mkdir -p input root.orig/usr/lib images
printf 'x' > input/data.bin
cat > check.sh <<'SH'
#!/bin/sh
# name mountpoint mountpath
t() { [ "$2" = "$3" ] || { echo "$IMAGE: $1 is '$2', want '$3'" >&2; exit 1; }; }
t OUTPUTPATH "$OUTPUTPATH" "$PWD/images"
t INPUTPATH "$INPUTPATH" "$PWD/input"
t ROOTPATH "$ROOTPATH" "$PWD/root.orig"
t TMPPATH "$TMPPATH" "$PWD/tmp"
t IMAGEOUTFILE "$IMAGEOUTFILE" "$PWD/images/$IMAGE"
[ "${3:-}" = any ] || t IMAGESIZE "$IMAGESIZE" 1
t IMAGEMOUNTPOINT "$IMAGEMOUNTPOINT" "$1"
t IMAGEMOUNTPATH "$IMAGEMOUNTPATH" "$2"
SH
chmod +x check.sh
cat > g.cfg <<'CFG'
image a.img { file { name = "data.bin" } exec-pre = "./check.sh '' \"$PWD/tmp/root\"" }
image b.img { file { name = "data.bin" } mountpoint = "/"
	exec-post = "./check.sh '' \"$PWD/tmp/root\"" }
image c.img { file { name = "data.bin" } empty = true exec-pre = "./check.sh '' ''" }
image d.img { file { name = "data.bin" } mountpoint = "/usr/lib"
	exec-post = "./check.sh usr/lib \"$PWD/tmp/mp-usr-lib\"" }
image e.img { hdimage { } partition p { image = "a.img" }
	exec-pre = "./check.sh '' '' any" }
image f.img { file { name = "data.bin" } srcpath = "root.orig/usr"
	exec-pre = "./check.sh '' root.orig/usr" }
CFG
"$GENIMAGE_KILN" --config g.cfg --rootpath root.orig --inputpath input --outputpath images \
	--tmppath tmp || fail "genimage-mode hook environment differs from genimage's"
for f in a b c d e f; do [ -f "images/$f.img" ] || fail "images/$f.img missing"; done
echo "exec-genimage-env: ok"
