# Shared by tests/cramfs/*.sh (sourced after $KILN_TESTLIB).
need fsck.cramfs python3

# listing DIR: one line per entry below DIR (sorted): path, type, mode,
# owner, device numbers, link target, and for regular files size and
# SHA-256. Directory sizes and times are left out: cramfs keeps neither.
listing() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
top = sys.argv[1]
for root, dirs, files in os.walk(top):
    dirs.sort()
    for name in sorted(dirs + files):
        p = os.path.join(root, name)
        st = os.lstat(p)
        m = st.st_mode
        extra = ""
        if stat.S_ISREG(m):
            extra = "%d %s" % (st.st_size, hashlib.sha256(open(p, "rb").read()).hexdigest())
        elif stat.S_ISLNK(m):
            extra = "-> " + os.readlink(p)
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            extra = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        print(os.path.relpath(p, top), oct(m), "%d:%d" % (st.st_uid, st.st_gid), extra)
PY
}

# extract IMAGE DIR: fsck.cramfs checks IMAGE (CRC, every inode and
# block) and extracts it into DIR.
extract() {
	rm -rf "$2"
	fsck.cramfs --extract="$2" "$1" >"$T/.fsck" 2>&1 || { cat "$T/.fsck"; fail "fsck.cramfs $1"; }
}
