# Outputs that cannot be created fail with one line naming the path and
# the reason (never a crash), and a failed build leaves no output it
# created while a previous good output survives (docs/config.md, "Failed
# and interrupted builds").
. "$KILN_TESTLIB"
mkdir -p input root
printf 'hello' > input/data.bin
cat > c.cfg <<'CFG'
image out.bin { file { name = "data.bin" } }
CFG
no_temps() {
	local left
	left=$(find "$T" -name '.*.kiln-*' -o -name 'kiln-spill.*' | head -3)
	[ -z "$left" ] || fail "temporary left behind: $left"
}

# --outputpath names a regular file.
printf x > afile
expect_fail 1 "afile/out.bin: cannot create output: Not a directory" \
	"$KILN" build --outputpath afile c.cfg
[ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line for afile"; }
# The output path is a directory.
mkdir -p od/out.bin
expect_fail 1 "od/out.bin: .*Is a directory" "$KILN" build --outputpath od c.cfg
# kiln bmap -o into a missing directory.
truncate -s 1M img
expect_fail 1 "nodir/x.bmap: cannot create output: No such file or directory" \
	"$KILN" bmap -o nodir/x.bmap img
no_temps

# Unwritable output directories, as an unprivileged user (root ignores
# permission bits): root-owned images/, and the user's own read-only one.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 755 "$T"
	mkdir -p ro-root && chmod 755 ro-root
	mkdir -p ro-own && chown 65534:65534 ro-own && chmod 555 ro-own
	for o in ro-root ro-own; do
		expect_fail 1 "$o/out.bin: cannot create output: Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$KILN" build --no-cache --outputpath $o --tmppath /tmp/kiln-nobody-tmp c.cfg
		[ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line for $o"; }
		expect_no_output $o
	done
fi

# exec-post exits 1: the image it followed is removed, no temporary left.
cat > post.cfg <<'CFG'
image post.bin {
  exec-post = "test -f \"$IMAGEOUTFILE\" && exit 1"
  file { name = "data.bin" }
}
CFG
expect_fail 1 'exec-post .* exited with status 1' "$KILN" build --outputpath p1 post.cfg
expect_no_output p1

# The second image fails after the first was written: neither is left.
cat > two.cfg <<'CFG'
image a.bin { file { name = "data.bin" } }
image b.img {
  hdimage { }
  partition p { image = "a.bin" }
  exec-pre = "exit 4"
}
CFG
expect_fail 1 'exec-pre .* exited with status 4' "$KILN" build --outputpath p2 two.cfg
expect_no_output p2

# A previous good output survives a failed rebuild, byte for byte, and
# the bmap beside it too.
cat > ok.cfg <<'CFG'
image a.bin { file { name = "data.bin" } }
image d.img {
  hdimage { }
  partition p { image = "a.bin" }
}
CFG
"$KILN" build --outputpath p3 ok.cfg 2>/dev/null
before=$(cd p3 && sha256sum a.bin d.img d.img.bmap)
printf 'changed' > input/data.bin
cat > bad.cfg <<'CFG'
image a.bin { file { name = "data.bin" } }
image d.img {
  hdimage { }
  partition p { image = "a.bin" }
  exec-post = "exit 2"
}
CFG
expect_fail 1 'exec-post .* exited with status 2' "$KILN" build --outputpath p3 bad.cfg
[ "$(cd p3 && sha256sum a.bin d.img d.img.bmap)" = "$before" ] || fail "previous outputs not restored"
[ "$(ls -A p3 | tr '\n' ' ')" = "a.bin d.img d.img.bmap " ] || fail "p3 holds: $(ls -A p3)"
no_temps
echo "outputs: ok"
