# erofs: fsck.erofs extracts exactly the input tree (names, bytes, types,
# modes, owners, times, symlinks, devices); the kernel mount (when
# allowed) shows the same plus xattrs, ACLs, nanoseconds and hard links;
# dump.erofs/blkid read the superblock kiln planned (root nid, inode
# count, build time, UUID from the seed, label) and the inode versions
# mkfs.erofs would choose; mkfs.erofs on the same tree extracts to the
# same tree; two builds in other directories and umasks are identical.
. "$KILN_TESTLIB"
need fsck.erofs dump.erofs mkfs.erofs python3 setfattr getfattr blkid
export SOURCE_DATE_EPOCH=1700000000
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1

mkdir -p src/dir/sub src/many src/empty
touch src/probe
setfattr -n user.probe -v 1 src/probe 2>/dev/null || skip "no user xattrs on $(df -P . | tail -1)"
rm src/probe
: >src/zero
echo hello >src/small
head -c 4096 /dev/urandom >src/block
head -c 4097 /dev/urandom >src/block1
head -c 8191 /dev/urandom >src/nearly2
head -c 300001 /dev/urandom >src/dir/big
head -c 4090 /dev/urandom >src/dir/fat-tail  # too big a tail to sit with the inode
for i in $(seq 1 700); do echo "$i" >"src/many/file-with-a-longish-name-$i"; done
# Names sorting before "." and ".." (erofs keeps them in one sorted list).
echo a >src/-dash; echo b >src/.-dot; echo c >src/'!bang'; echo d >src/.hidden
ln -s small src/sl
ln -s "$(printf 'x%.0s' $(seq 1 3000))" src/longlink
ln src/small src/dir/hard
mkfifo src/fifo
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("src/sock")'
# Hard links of other types: one inode each too.
ln -P src/sl src/dir/sl-hard
ln src/fifo src/dir/fifo-hard
ln src/sock src/dir/sock-hard
setfattr -n user.color -v blue src/small
setfattr -n user.bin -v 0x00ff0a src/dir
setfattr -n security.label -v xyz src/block
if command -v setfacl >/dev/null; then setfacl -m u:1234:rwx src/block1; setfacl -d -m g:55:rx src/dir; fi
chmod 4755 src/nearly2; chmod 1777 src/empty; chmod 0600 src/zero
if [ $ROOT = 1 ]; then
	mknod src/null c 1 3; mknod src/loop b 7 9; mknod src/bigdev c 300 70000
	chown 1000:1000 src/small; chown 70000:5 src/block; chown 12:70001 src/dir/sub
	setfattr -n trusted.secret -v t1 src/zero
fi
# Times: old with nanoseconds (extended inodes), exactly the epoch
# (compact), and in the future (clamped to the epoch).
find src -exec touch -h -d @1700000000 {} +
touch -h -d '@1600000000.123456789' src/small src/sl src/dir/big
touch -d '@1800000000' src/block1
touch -d '@1500000000' src/dir

cat >k.cfg <<'C'
tree t { layer { dir = "src" keep-owner = true xattrs = { "all" } } }
image t.erofs { erofs { label = "rootfs" } tree = t }
image c.erofs { erofs { extraargs = "-E noinline_data,force-inode-extended -T 1650000000" } tree = t }
C
"$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }

# Listing: path type perms uid gid size mtime(s) rdev target sha256
# fsck.erofs 1.5 chowns after chmod when extracting, which drops
# setuid/setgid: MASK=07777 compares those bits (the kernel mount), 0777 not.
listing() {
	python3 - "$1" "${2:-}" "${MASK:-07777}" <<'P'
import hashlib, os, stat, sys
root, fixed, mask = sys.argv[1], sys.argv[2], int(sys.argv[3], 8)
epoch = int(os.environ['SOURCE_DATE_EPOCH'])
for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(d, n); s = os.lstat(p); rel = os.path.relpath(p, root)
        t = min(int(s.st_mtime), epoch) if not fixed else int(fixed)
        extra = ''
        if stat.S_ISREG(s.st_mode): extra = hashlib.sha256(open(p, 'rb').read()).hexdigest()
        if stat.S_ISLNK(s.st_mode): extra = os.readlink(p)
        if stat.S_ISCHR(s.st_mode) or stat.S_ISBLK(s.st_mode): extra = '%d,%d' % (os.major(s.st_rdev), os.minor(s.st_rdev))
        size = s.st_size if not stat.S_ISDIR(s.st_mode) else 0
        # symlink times are not set by extractors; directories' are.
        if stat.S_ISLNK(s.st_mode): t = 0
        print(rel, oct(stat.S_IFMT(s.st_mode) | (s.st_mode & mask)), s.st_uid, s.st_gid, size, t, extra)
P
}
listing src >want-full.txt
MASK=0777 listing src >want.txt
grep -q 'many/file-with-a-longish-name-700' want.txt || fail "listing incomplete"
for img in t c; do
	fsck.erofs --extract=x-$img out/$img.erofs >fsck-$img.log 2>&1 || { cat fsck-$img.log; fail "fsck.erofs $img"; }
done
MASK=0777 listing x-t >got.txt
diff want.txt got.txt || fail "fsck.erofs extracts a different tree"
MASK=0777 listing src 1650000000 >want-c.txt; MASK=0777 listing x-c 1650000000 >got-c.txt
diff want-c.txt got-c.txt || fail "c.erofs: different tree"
awk '{ print $6 }' <(listing x-c) | grep -vxE '0|1650000000' && fail "c.erofs: a time is not -T's"

# Superblock: dump.erofs and blkid.
dump.erofs -s out/t.erofs >sb.txt
grep -Eq 'root nid: +36$' sb.txt || fail "root nid: $(cat sb.txt)"
inodes=$(find src | xargs stat -c '%i' | sort -u | wc -l)
grep -Eq "inode count: +$inodes\$" sb.txt || fail "inode count (want $inodes): $(grep count sb.txt)"
grep -Eq 'sb_csum' sb.txt || fail "no sb_csum feature"
grep -q "created: *$(TZ=UTC0 date -d @1700000000 '+%a %b %e %H:%M:%S %Y')" sb.txt \
	|| TZ=UTC0 grep -q "created: *$(date -d @1700000000 '+%a %b %e %H:%M:%S %Y')" sb.txt \
	|| fail "build time: $(grep created sb.txt)"
uuid=$(python3 -c '
import hashlib, hmac, uuid
k = hashlib.sha256(b"kiln-image:t.erofs").digest()
b = bytearray(hmac.new(k, b"erofs-uuid\0\0\0\0\0", hashlib.sha256).digest()[:16])
b[6] = b[6] & 0x0f | 0x40; b[8] = b[8] & 0x3f | 0x80
print(uuid.UUID(bytes=bytes(b)))')
grep -q "UUID: *$uuid" sb.txt || fail "UUID is not the documented derivation $uuid: $(grep UUID sb.txt)"
[ "$(blkid -o value -s LABEL out/t.erofs)" = rootfs ] || fail "label: $(blkid out/t.erofs)"
[ "$(blkid -o value -s UUID out/t.erofs)" = "$uuid" ] || fail "blkid UUID"
blocks=$(grep -E 'blocks: ' sb.txt | awk '{ print $NF }')
[ "$((blocks * 4096))" = "$(stat -c %s out/t.erofs)" ] || fail "image is not blocks * 4096 bytes"

# Inode versions as mkfs.erofs chooses them: compact unless a field needs
# the extended one (mtime other than the build time, uid/gid > 65535).
isize() { dump.erofs --path="$2" "$1" | sed -n 's/.*Inode size: \([0-9]*\).*/\1/p'; }
[ "$(isize out/t.erofs /empty)" = 32 ] || fail "/empty (build-time mtime) should be compact"
[ "$(isize out/t.erofs /small)" = 64 ] || fail "/small (older mtime) should be extended"
[ "$(isize out/t.erofs /block1)" = 32 ] || fail "/block1 (clamped mtime) should be compact"
[ "$(isize out/c.erofs /empty)" = 64 ] || fail "force-inode-extended"
dump.erofs --path=/small out/t.erofs | grep -q 'Layout: 2' || fail "/small: tail not inline"
dump.erofs --path=/small out/c.erofs | grep -q 'Layout: 0' || fail "noinline_data: /small inline"
dump.erofs --path=/dir/fat-tail out/t.erofs | grep -q 'Layout: 0' || fail "/dir/fat-tail inline"
dump.erofs --path=/small out/t.erofs | grep -q 'Timestamp: 2020-09-13 12:26:40.123456789' \
	|| fail "nanoseconds: $(dump.erofs --path=/small out/t.erofs)"
dump.erofs --path=/small out/t.erofs | grep -q 'Links: 2' || fail "hard link count"
if [ $ROOT = 1 ]; then
	[ "$(isize out/t.erofs /block)" = 64 ] || fail "/block (uid 70000) should be extended"
fi

# The kernel reads it: xattrs, ACLs, hard links, nanoseconds.
mkdir mnt
if [ $ROOT = 1 ] && mount -t erofs -o loop,ro out/t.erofs mnt 2>mount.err; then
	trap 'umount "$T/mnt" 2>/dev/null || true; rm -rf "$T"' EXIT
	listing mnt >got-m.txt
	diff want-full.txt got-m.txt || { umount mnt; fail "mounted tree differs"; }
	# getfattr per path in sorted order (-R follows readdir order).
	xa() { (cd "$1" && find . | LC_ALL=C sort | xargs -d '\n' getfattr -h -d -m - -e hex 2>/dev/null | grep -v '^$'); }
	xa src >xa-want.txt; xa mnt >xa-got.txt
	grep -q user.color xa-got.txt || { umount mnt; fail "no xattrs through the mount"; }
	diff xa-want.txt xa-got.txt || { umount mnt; fail "xattrs differ"; }
	for pair in small:dir/hard sl:dir/sl-hard fifo:dir/fifo-hard sock:dir/sock-hard; do
		a=${pair%%:*} b=${pair#*:}
		[ "$(stat -c %i mnt/$a)" = "$(stat -c %i mnt/$b)" ] && [ "$(stat -c %h mnt/$a)" = 2 ] \
			|| { umount mnt; fail "$a and $b are not one inode with 2 links"; }
	done
	[ "$(stat -c %y mnt/dir/big)" = "$(stat -c %y src/dir/big)" ] || { umount mnt; fail "ns mtime"; }
	[ "$(stat -c %h mnt/dir)" = "$(stat -c %h src/dir)" ] || { umount mnt; fail "dir link count"; }
	umount mnt
else
	echo "SKIP (mount not permitted here): kernel read of xattrs and hard links" >&2
fi

# Twin: mkfs.erofs on the same tree extracts to the same tree.
mkfs.erofs -q out/twin.erofs src >/dev/null 2>&1 || mkfs.erofs out/twin.erofs src >/dev/null
fsck.erofs --extract=x-twin out/twin.erofs >/dev/null 2>&1 || fail "fsck.erofs twin"
MASK=0777 listing x-twin >twin.txt
diff got.txt twin.txt || fail "kiln and mkfs.erofs images extract differently"

# kiln inspect walks kiln's and mkfs.erofs' images, and catches a
# flipped superblock byte (checksum).
for img in t c twin; do
	"$KILN" inspect out/$img.erofs >insp.txt || { cat insp.txt; fail "kiln inspect $img"; }
done
grep -q "uuid: $uuid" <("$KILN" inspect out/t.erofs) || fail "inspect: uuid"
cp out/t.erofs bad.erofs
printf '\x7f' | dd of=bad.erofs bs=1 seek=$((1024 + 70)) conv=notrunc status=none
expect_fail 1 'bad.erofs: check failed' "$KILN" inspect bad.erofs
grep -q 'BAD SUPERBLOCK CHECKSUM' "$T/.out" || fail "inspect: $(cat "$T/.out")"

# Reproducible: another directory, umask and TZ give the same bytes.
mkdir -p again
cp k.cfg again/
ln -s ../src again/src
(cd again && umask 077 && TZ=Asia/Tokyo "$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp k.cfg 2>/dev/null) \
	|| fail "second build"
cmp out/t.erofs again/out/t.erofs || fail "t.erofs differs between builds"
cmp out/c.erofs again/out/c.erofs || fail "c.erofs differs between builds"
echo ok
