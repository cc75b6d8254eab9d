# Bad inputs fail in a controlled way: a message that says what is
# needed or names the file/option, exit 1, no output left behind.
. "$KILN_TESTLIB"
mkdir -p src/d in
head -c 3000000 /dev/urandom >src/d/blob
for i in $(seq 1 50); do : >"src/d/f$i"; done

cfg() { # NAME BODY [SIZE]
	printf 'image %s {\n\text4 {\n\t\t%s\n\t}\n\tsrcpath = "src"\n%s}\n' "$1" "$2" "${3:+	size = $3
}" >"$1.cfg"
}
cfg small.ext4 'features = "^has_journal"' 1M
expect_fail 1 'does not fit: .*more needed' "$KILN" build --outputpath out --tmppath tmp small.ext4.cfg
expect_no_output out

cfg inodes.ext4 'extraargs = "-N 20"' 8M
expect_fail 1 'out of inodes: the tree needs [0-9]+ inodes' "$KILN" build --outputpath out --tmppath tmp inodes.ext4.cfg
expect_no_output out

cfg opt.ext4 'extraargs = "-b 4096 -G 4"' 8M
expect_fail 1 'extraargs.*-G.*not supported' "$KILN" build --outputpath out --tmppath tmp opt.ext4.cfg
expect_no_output out

cfg feat.ext4 'features = "extent,^quota_bogus"' 8M
expect_fail 1 'quota_bogus' "$KILN" build --outputpath out --tmppath tmp feat.ext4.cfg

cfg ext.ext4 'extraargs = "-E stride=4"' 8M
expect_fail 1 '-E stride=4: extended option not supported' "$KILN" build --outputpath out --tmppath tmp ext.ext4.cfg

cfg bs.ext4 'extraargs = "-b 3000"' 8M
expect_fail 1 '-b 3000' "$KILN" build --outputpath out --tmppath tmp bs.ext4.cfg

cfg owner.ext4 'root-owner = "root"' 8M
expect_fail 1 'root-owner = "root": expected UID:GID' "$KILN" build --outputpath out --tmppath tmp owner.ext4.cfg

# genimage mode needs a size.
mkdir -p root && cp -a src/d root/
printf 'image g.ext4 {\n\text4 {}\n}\n' >g.cfg
expect_fail 1 'need a size in genimage mode' "$GENIMAGE_KILN" --rootpath root --tmppath tmp --inputpath in --outputpath gout --config g.cfg
expect_no_output gout

# An unreadable file is named (only meaningful when not root).
if [ "$(id -u)" != 0 ]; then
	chmod 000 src/d/f1
	cfg unread.ext4 '' 8M
	expect_fail 1 'f1' "$KILN" build --outputpath out --tmppath tmp unread.ext4.cfg
	expect_no_output out
	chmod 644 src/d/f1
fi

# use-mke2fs is accepted with a warning; the result is still checked.
cfg warn.ext4 'use-mke2fs = true label = "w"' 8M
"$KILN" build --outputpath out --tmppath tmp warn.ext4.cfg >warn.log 2>&1 || { cat warn.log; fail "use-mke2fs build"; }
grep -q 'kiln writes the filesystem itself' warn.log || fail "no warning for use-mke2fs"
e2fsck -fn out/warn.ext4 >/dev/null 2>&1 || fail "e2fsck warn.ext4"
