# Tree fidelity from a host directory (dir layer and genimage's rootpath):
# extended attributes and POSIX ACLs, hard links of every file type,
# nanosecond times, the root directory's own mode and time. Checked in
# ext4 and ext2 images through debugfs (e2fsprogs decodes what kiln
# encoded), e2fsck -fn, and against a tar layer of the same tree.
# Root-only parts (trusted.*, security.capability, device nodes) run
# when the suite runs as root, as CI does.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need setfattr getfattr setfacl debugfs e2fsck python3 tar
export SOURCE_DATE_EPOCH=1700000000
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1

mkdir -p src/dir
touch src/probe
setfattr -n user.probe -v 1 src/probe 2>/dev/null || skip "no user xattrs on $(df -P . | tail -1)"
rm src/probe

# The hostile tree.
echo data >src/file
setfattr -n user.color -v blue src/file
setfattr -n user.bin -v 0x00ff0a src/file
setfacl -m u:1234:rwx src/file
setfacl -m u:1234:rx src/dir
setfacl -d -m g:55:rx src/dir
echo late >src/late
ln -s file src/sl
ln -P src/sl src/sl2
mkfifo src/fifo
ln src/fifo src/fifo2
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("src/sock")'
ln src/sock src/sock2
LINKED="sl fifo sock"
if [ $ROOT = 1 ]; then
	setfattr -n trusted.secret -v t1 src/file
	setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 src/file
	mknod src/null c 1 3
	ln src/null src/null2
	mknod src/blk b 7 0
	ln src/blk src/blk2
	LINKED="$LINKED null blk"
fi
# The host's SELinux labels are not the image's: not copied by default.
SELINUX=0
setfattr -n security.selinux -v "system_u:object_r:etc_t:s0" src/dir 2>/dev/null && SELINUX=1
touch -h -d @1500000000.123456789 src/file src/sl src/fifo src/sock src/dir
[ $ROOT = 1 ] && touch -h -d @1500000000.123456789 src/null src/blk
touch -d @1800000000.75 src/late          # after the epoch: clamped, no fraction
chmod 0750 src
touch -d @1400000000.5 src               # the root: an odd mode, an old time

tar --xattrs --xattrs-include='*' --xattrs-exclude=security.selinux --acls --numeric-owner -cf src.tar -C src . 2>/dev/null

cat >k.cfg <<'CFG'
tree d { layer { dir = "src" } }
tree a { layer { archive = "src.tar" } }
tree u { layer { dir = "src" xattrs = { "user" } } }
tree n { layer { dir = "src" xattrs = none } }
image d.ext4 { ext4 { } size = 16M tree = d }
image d.ext2 { ext2 { } size = 16M tree = d }
image a.ext4 { ext4 { } size = 16M tree = a }
image u.ext4 { ext4 { } size = 16M tree = u }
image n.ext4 { ext4 { } size = 16M tree = n }
CFG
"$KILN" build --inputpath . --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }
printf 'image r.ext4 {\n\text4 { }\n\tsize = 16M\n}\n' >g.cfg
"$GENIMAGE_KILN" --rootpath src --inputpath . --outputpath out --tmppath tmp2 --config g.cfg 2>gerr \
	|| { cat gerr; fail "genimage build"; }

dbg() { debugfs -R "$2" "out/$1" 2>/dev/null; }
ino() { dbg "$1" "ls -l /" | awk -v n="$2" '$NF == n { print $1 }'; }
tm() { printf '0x%08x:%08x' "$1" $(($2 << 2)); } # ext4 time with nanoseconds

# POSIX ACL as e2fsprogs decodes it == the host's (ids only for named entries).
acl_norm() {
	python3 -c '
import sys, re
h = re.sub(r"[^0-9a-f]", "", sys.argv[1].lower())
b = bytes.fromhex(h)
assert int.from_bytes(b[:4], "little") == 2, "not a VFS ACL"
out = []
for i in range(4, len(b), 8):
    tag, perm, id = int.from_bytes(b[i:i+2], "little"), int.from_bytes(b[i+2:i+4], "little"), int.from_bytes(b[i+4:i+8], "little")
    out.append("%d:%d:%s" % (tag, perm, id if tag in (2, 8) else "-"))
print(",".join(out))' "$1"
}
host_acl() { acl_norm "$(getfattr -e hex -n "$2" "src/$1" | sed -n 's/^[^=]*=0x//p')"; }
img_acl() { acl_norm "$(dbg "$1" "ea_get /$2 $3" | sed 's/^[^=]*= //')"; }

check_full() { # IMAGE: every property of the hostile tree
	local img=$1
	e2fsck -fn "out/$img" >/dev/null 2>&1 || { e2fsck -fn "out/$img"; fail "$img: e2fsck"; }
	dbg "$img" "stat /" | grep -q 'Mode:  0750' || fail "$img: / is not 0750"
	dbg "$img" "stat /" | grep -q "mtime: $(tm 1400000000 500000000)" \
		|| { dbg "$img" "stat /"; fail "$img: / does not have the source root's time"; }
	for t in mtime ctime atime crtime; do
		dbg "$img" "stat /file" | grep -q "$t: $(tm 1500000000 123456789)" \
			|| { dbg "$img" "stat /file"; fail "$img: /file $t lost its nanoseconds"; }
	done
	dbg "$img" "stat /dir" | grep -q "mtime: $(tm 1500000000 123456789)" || fail "$img: /dir time"
	dbg "$img" "stat /late" | grep -q "mtime: $(tm 1700000000 0)" \
		|| { dbg "$img" "stat /late"; fail "$img: a clamped time keeps a fraction"; }
	for l in $LINKED; do
		local a b
		a=$(ino "$img" "$l") b=$(ino "$img" "${l}2")
		[ -n "$a" ] && [ "$a" = "$b" ] || fail "$img: $l and ${l}2 are not one inode ($a, $b)"
		dbg "$img" "stat /$l" | grep -q 'Links: 2' || fail "$img: /$l link count"
	done
	dbg "$img" "ea_list /file" | grep -q 'user.color (4) = "blue"' || fail "$img: user.color"
	dbg "$img" "ea_list /file" | grep -q 'user.bin (3) = 00 ff 0a' || fail "$img: user.bin"
	[ "$(img_acl "$img" file system.posix_acl_access)" = "$(host_acl file system.posix_acl_access)" ] \
		|| fail "$img: /file access ACL differs from the host's"
	[ "$(img_acl "$img" dir system.posix_acl_access)" = "$(host_acl dir system.posix_acl_access)" ] \
		|| fail "$img: /dir access ACL differs"
	[ "$(img_acl "$img" dir system.posix_acl_default)" = "$(host_acl dir system.posix_acl_default)" ] \
		|| fail "$img: /dir default ACL differs"
	if [ $ROOT = 1 ]; then
		dbg "$img" "ea_list /file" | grep -q 'trusted.secret (2) = "t1"' || fail "$img: trusted.secret"
		dbg "$img" "ea_list /file" | grep -q 'security.capability (20) = 01 00 00 02 00 20 00 00' \
			|| fail "$img: security.capability"
		dbg "$img" "stat /null" | grep -q 'Device major/minor number: 01:03' || fail "$img: /null rdev"
	fi
	if [ $SELINUX = 1 ]; then
		dbg "$img" "ea_list /dir" | grep -q selinux && fail "$img: the host's SELinux label was copied"
	fi
	return 0
}
check_full d.ext4
check_full d.ext2
check_full r.ext4

# A tar layer of the same tree gives the same attributes (GNU tar keeps
# no hard links between non-regular files, so links are not compared).
for p in / /file /dir /late; do
	[ "$(dbg a.ext4 "ea_list $p")" = "$(dbg d.ext4 "ea_list $p")" ] || fail "$p: xattrs differ from the tar layer's"
	[ "$(dbg a.ext4 "stat $p" | grep -E 'time:')" = "$(dbg d.ext4 "stat $p" | grep -E 'time:')" ] \
		|| fail "$p: times differ from the tar layer's"
done
[ "$(dbg a.ext4 'stat /' | grep Mode:)" = "$(dbg d.ext4 'stat /' | grep Mode:)" ] || fail "/: mode differs from the tar layer's"

# xattrs = { "user" } keeps only user.*; xattrs = none keeps nothing.
dbg u.ext4 "ea_list /file" | grep -q 'user.color' || fail "u.ext4: user.color missing"
dbg u.ext4 "ea_list /file" | grep -Eq 'posix_acl|trusted|security' && fail "u.ext4: more than user.*"
[ -z "$(dbg n.ext4 "ea_list /file" | grep '=')" ] || fail "n.ext4: xattrs = none copied some"
[ -z "$(dbg n.ext4 "ea_list /dir" | grep '=')" ] || fail "n.ext4: xattrs = none copied an ACL"

# Without CAP_SYS_ADMIN trusted.* is invisible: a layer that asks for it
# gets one warning, the default set none; the image has no trusted.*.
if [ $ROOT = 1 ] && command -v capsh >/dev/null; then
	cat >c.cfg <<'CFG'
tree t { layer { dir = "src" xattrs = { "user", "trusted" } } layer { dir = "src" dest = "/again" } }
image c.ext4 { ext4 { } size = 16M tree = t }
CFG
	capsh --drop=cap_sys_admin -- -c '"$0" build --inputpath . --outputpath cout --tmppath tmp c.cfg' "$KILN" 2>err 		|| { cat err; fail "build without CAP_SYS_ADMIN"; }
	[ "$(grep -c 'warning: .*src: trusted.\* extended attributes are not copied: only a process with CAP_SYS_ADMIN can see them' err)" = 1 ] 		|| { cat err; fail "expected one trusted.* warning (for the layer that asks)"; }
	debugfs -R 'ea_list /file' cout/c.ext4 2>/dev/null | grep -q trusted && fail "trusted.* copied without CAP_SYS_ADMIN?"
	debugfs -R 'ea_list /file' cout/c.ext4 2>/dev/null | grep -q 'user.color' || fail "c.ext4: user.color"
fi

# Hard links to every type from an archive layer, too.
make_tar links.tar '[{"name": "l", "type": "l", "link": "x", "mode": "777"}, {"name": "l2", "type": "h", "link": "l"},
	{"name": "p", "type": "p"}, {"name": "p2", "type": "h", "link": "p"},
	{"name": "c", "type": "c", "major": 1, "minor": 3}, {"name": "c2", "type": "h", "link": "c"},
	{"name": "b", "type": "b", "major": 7, "minor": 1}, {"name": "b2", "type": "h", "link": "b"}]'
cat >l.cfg <<'CFG'
tree t { layer { archive = "links.tar" } }
image l.ext4 { ext4 { } size = 8M tree = t }
CFG
"$KILN" build --inputpath . --outputpath out --tmppath tmp l.cfg 2>err || { cat err; fail "links build"; }
e2fsck -fn out/l.ext4 >/dev/null 2>&1 || fail "l.ext4: e2fsck"
for l in l p c b; do
	[ "$(ino l.ext4 $l)" = "$(ino l.ext4 ${l}2)" ] || fail "archive: $l and ${l}2 are not one inode"
	dbg l.ext4 "stat /$l" | grep -q 'Links: 2' || fail "archive: /$l link count"
done

# Bad option values name the file and line.
printf 'tree t { layer { dir = "src" xattrs = { "user", "bogus" } } }\nimage b.ext4 { ext4 { } tree = t }\n' >b.cfg
expect_fail 1 'b.cfg:1: .*xattrs.*"bogus".*expected user, trusted' "$KILN" build --inputpath . --outputpath bout --tmppath tmp b.cfg
expect_no_output bout
printf 'tree t { layer { archive = "src.tar" xattrs = { "user" } } }\nimage b.ext4 { ext4 { } tree = t }\n' >b.cfg
expect_fail 1 'b.cfg:1: .*only for dir layers' "$KILN" build --inputpath . --outputpath bout --tmppath tmp b.cfg
printf 'tree t { layer { dir = "src" xattrs = { "none", "user" } } }\nimage b.ext4 { ext4 { } tree = t }\n' >b.cfg
expect_fail 1 'cannot be combined' "$KILN" build --inputpath . --outputpath bout --tmppath tmp b.cfg
expect_no_output bout
