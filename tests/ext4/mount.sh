# The host kernel mounts kiln's images read-only and sees the same tree
# (bytes, types, modes, owners, mtimes, symlinks, devices, hard links,
# xattrs): the kernel verifies every metadata checksum on the way.
# Needs root and loop devices: skipped with a message otherwise.
. "$KILN_TESTLIB"
need python3 mount umount
H="$KILN_SRC/tests/ext4"
[ "$(id -u)" = 0 ] || skip "mounting needs root"
mkdir -p mnt
python3 "$H/gen.py" src 11 3000
cleanup() { mountpoint -q "$T/mnt" && umount "$T/mnt"; rm -rf "$T" "$KILN_CACHE"; }
trap cleanup EXIT

for v in "ext4|-b 4096" "ext4|-b 1024" "ext3|-b 2048" "ext2|-b 4096"; do
	type=${v%%|*} args=${v#*|}
	printf 'image m.%s {\n\t%s { extraargs = "%s" }\n\tsrcpath = "src"\n}\n' "$type" "$type" "$args" >m.cfg
	"$KILN" build --outputpath out --tmppath tmp m.cfg >log 2>&1 || { cat log; fail "$type $args: build"; }
	if ! mount -o loop,ro -t "$type" "out/m.$type" mnt 2>mount.err; then
		skip "cannot mount a loop device here: $(cat mount.err)"
	fi
	python3 - src mnt "$SOURCE_DATE_EPOCH" <<'PY' || { umount mnt; fail "$type $args: mounted tree differs"; }
import os, stat, sys
src, mnt, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
bad = []
links = {}
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        p = os.path.join(root, n)
        q = os.path.join(mnt, os.path.relpath(p, src))
        a, b = os.lstat(p), os.lstat(q)
        if a.st_mode != b.st_mode or (b.st_uid, b.st_gid) != (0, 0):
            bad.append("%s: mode/owner %o %d:%d" % (q, b.st_mode, b.st_uid, b.st_gid))
        if int(b.st_mtime) != min(int(a.st_mtime), epoch):
            bad.append("%s: mtime" % q)
        if stat.S_ISREG(a.st_mode):
            if open(p, "rb").read() != open(q, "rb").read():
                bad.append("%s: content" % q)
            links.setdefault(a.st_ino, set()).add(b.st_ino)
        elif stat.S_ISLNK(a.st_mode) and os.readlink(p) != os.readlink(q):
            bad.append("%s: target" % q)
bad += ["hard links split: %s" % v for v in links.values() if len(v) != 1]
if bad:
    print("\n".join(bad[:20]), file=sys.stderr)
    sys.exit(1)
PY
	umount mnt
done
