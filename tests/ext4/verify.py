#!/usr/bin/env python3
"""Round-trip check of an ext2/3/4 image against its source, using only
debugfs (e2fsprogs) to read the image.

usage: verify.py IMAGE SRCDIR EPOCH [TARSPEC.json]

Checks, for every path of SRCDIR (and of the tar spec, if given):
type, mode, uid/gid (0:0 for the directory, as kiln imports it; tar
entries keep theirs), size, all four times (source mtime clamped to
EPOCH), symlink targets, device numbers, hard-link structure (same
source inode <=> same image inode), bytes of every regular file (read
back from the image through the extent/indirect map debugfs reports,
which also checks that holes in the source stay unmapped), and xattrs
(ea_list).
"""
import json
import os
import re
import stat
import subprocess
import sys

img, src, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else []
errors = []


def err(msg):
    errors.append(msg)
    if len(errors) > 20:
        finish()


def finish():
    if errors:
        print("\n".join(errors[:20]), file=sys.stderr)
        sys.exit(1)
    sys.exit(0)


# Expected entries: path -> dict
exp = {}
for root, dirs, files in os.walk(src):
    for name in dirs + files:
        p = os.path.join(root, name)
        rel = "/" + os.path.relpath(p, src)
        st = os.lstat(p)
        e = {"mode": st.st_mode, "uid": 0, "gid": 0, "mtime": min(int(st.st_mtime), epoch),
             "size": st.st_size, "src": p, "key": ("d", st.st_ino), "xattr": {}}
        if stat.S_ISLNK(st.st_mode):
            e["target"] = os.readlink(p)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            e["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
        exp[rel] = e
types = {"f": stat.S_IFREG, "d": stat.S_IFDIR, "l": stat.S_IFLNK, "c": stat.S_IFCHR,
         "b": stat.S_IFBLK, "p": stat.S_IFIFO}
for t in spec:
    name = "/" + t["name"].strip("./").rstrip("/")
    if name == "/":
        continue
    ty = t.get("type", "f")
    if ty == "h":
        tgt = "/" + t["link"].strip("./")
        exp[name] = dict(exp[tgt])
        exp[name]["key"] = exp[tgt]["key"]
        continue
    data = t.get("data", "").encode()
    e = {"mode": types[ty] | int(t.get("mode", "644"), 8), "uid": t.get("uid", 0),
         "gid": t.get("gid", 0), "mtime": min(t.get("mtime", 1600000000), epoch),
         "size": len(data) if ty == "f" else 0, "data": data, "key": ("t", name),
         "xattr": {k: v.encode() for k, v in t.get("xattr", {}).items()}}
    if ty == "l":
        e["target"] = t["link"]
        e["size"] = len(t["link"].encode())
    if ty in "cb":
        e["rdev"] = (t.get("major", 0), t.get("minor", 0))
    exp[name] = e

paths = sorted(exp)
# Resolve names with one `ls -p` per directory (path lookups in huge
# directories are slow in debugfs), then stat by inode number.
dirs = ["/"] + [p for p in paths if stat.S_ISDIR(exp[p]["mode"])]
out = subprocess.run(["debugfs", "-f", "-", img], capture_output=True,
                     input="".join('ls -p "%s"\n' % p for p in dirs).encode()).stdout
ino_of = {}
cur = None
for line in out.decode("utf-8", "surrogateescape").split("\n"):
    m = re.match(r'debugfs: ls -p "(.*)"$', line)
    if m:
        cur = m.group(1).rstrip("/")
        continue
    f = line.split("/")
    if cur is not None and len(f) >= 7 and f[0] == "" and f[1].isdigit():
        name = "/".join(f[5:-2])
        if name not in (".", ".."):
            ino_of[cur + "/" + name] = int(f[1])
cmds = "".join("stat <%d>\n" % ino_of[p] for p in paths if p in ino_of)
cmds += "".join("ea_list <%d>\n" % ino_of[p] for p in paths if exp[p]["xattr"] and p in ino_of)
out = subprocess.run(["debugfs", "-f", "-", img], input=cmds.encode(), capture_output=True).stdout
out = out.decode("utf-8", "surrogateescape")
chunks = re.split(r"^debugfs: ", out, flags=re.M)[1:]
by_ino = {}, {}
for c in chunks:
    head, _, body = c.partition("\n")
    m = re.match(r"(stat|ea_list) <(\d+)>$", head)
    if m:
        by_ino[0 if m.group(1) == "stat" else 1][int(m.group(2))] = body
stats = {p: by_ino[0].get(ino_of.get(p), "") for p in paths}
eas = {p: by_ino[1].get(ino_of.get(p), "") for p in paths}

bs = None
sb = subprocess.run(["dumpe2fs", "-h", img], capture_output=True, text=True).stdout
bs = int(re.search(r"^Block size:\s+(\d+)", sb, re.M).group(1))
fimg = open(img, "rb")

inode_of = {}
for p in paths:
    e, s = exp[p], stats.get(p, "")
    m = re.search(r"Inode: (\d+)\s+Type: .+?\s+Mode:\s+(\d+)", s)
    if not m:
        err("%s: not found in image (%s)" % (p, s.strip()[:80]))
        continue
    ino, mode = int(m.group(1)), int(m.group(2), 8)
    inode_of.setdefault(e["key"], set()).add(ino)
    if mode != stat.S_IMODE(e["mode"]):
        err("%s: mode %o, expected %o" % (p, mode, stat.S_IMODE(e["mode"])))
    ftype = re.search(r"Type: (\S+)", s).group(1)
    want = {stat.S_IFREG: "regular", stat.S_IFDIR: "directory", stat.S_IFLNK: "symlink",
            stat.S_IFCHR: "character", stat.S_IFBLK: "block", stat.S_IFIFO: "FIFO",
            stat.S_IFSOCK: "socket"}[stat.S_IFMT(e["mode"])]
    if ftype != want:
        err("%s: type %s, expected %s" % (p, ftype, want))
    m = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", s)
    if (int(m.group(1)), int(m.group(2))) != (e["uid"], e["gid"]):
        err("%s: owner %s:%s, expected %d:%d" % (p, m.group(1), m.group(2), e["uid"], e["gid"]))
    for t in ("ctime", "atime", "mtime", "crtime"):
        m = re.search(r"^\s*%s: 0x([0-9a-f]+)(?::([0-9a-f]+))?" % t, s, re.M)
        if not m:
            if t != "crtime" or "Size of extra inode fields" in s:
                err("%s: no %s" % (p, t))
            continue
        v = int(m.group(1), 16)
        v = v - (1 << 32) if v >= 1 << 31 else v
        v += (int(m.group(2) or "0", 16) & 3) << 32
        if v != e["mtime"]:
            err("%s: %s %d, expected %d" % (p, t, v, e["mtime"]))
    size = int(re.search(r"Size: (\d+)", s).group(1))
    if not stat.S_ISDIR(e["mode"]) and size != e["size"]:
        err("%s: size %d, expected %d" % (p, size, e["size"]))
    if "target" in e:
        m = re.search(r'Fast link dest: "(.*)"', s)
        if m:
            tgt = m.group(1)
        else:
            r = subprocess.run(["debugfs", "-R", "cat <%d>" % ino, img], capture_output=True)
            tgt = r.stdout.decode("utf-8", "surrogateescape")
        if tgt != e["target"]:
            err("%s: target %r, expected %r" % (p, tgt, e["target"]))
    if "rdev" in e:
        m = re.search(r"Device major/minor number: (\d+):(\d+)", s)
        if not m or (int(m.group(1)), int(m.group(2))) != e["rdev"]:
            err("%s: device %s, expected %s" % (p, m and m.groups(), e["rdev"]))
    if stat.S_ISREG(e["mode"]):
        # Map logical -> physical from EXTENTS/BLOCKS and compare bytes.
        mapping = []
        ext = re.search(r"^(EXTENTS|BLOCKS):\n(.*)$", s, re.M)
        if ext:
            for part in ext.group(2).split(", "):
                m = re.match(r"\((?:IND|DIND|TIND|ETB\d*)\):", part)
                if m or not part:
                    continue
                m = re.match(r"\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?", part)
                if not m:
                    continue
                a = int(m.group(1))
                z = int(m.group(2) or a)
                mapping.append((a, z, int(m.group(3))))
        if "src" in e:
            f = open(e["src"], "rb")
            # Holes of the source must stay unmapped.
            fd = f.fileno()
            for a, z, pb in mapping:
                for lb in (a, z):
                    off = lb * bs
                    try:
                        d = os.lseek(fd, off, os.SEEK_DATA)
                    except OSError:
                        d = None
                    if d is None or d >= off + bs:
                        err("%s: block %d is mapped but a hole in the source" % (p, lb))
                        break
        else:
            f = None
        mapped = 0
        for a, z, pb in mapping:
            n = (z - a + 1) * bs
            fimg.seek(pb * bs)
            got = fimg.read(n)
            if f:
                f.seek(a * bs)
                want = f.read(n)
            else:
                want = e["data"][a * bs:a * bs + n]
            got = got[:len(want)]
            if got != want:
                err("%s: bytes differ in blocks %d-%d" % (p, a, z))
            mapped += len(want)
        if f:
            # Every data byte of the source must be mapped.
            total_data = 0
            pos = 0
            while True:
                try:
                    d = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:
                    break
                h = os.lseek(fd, d, os.SEEK_HOLE)
                for lb in range(d // bs, (h + bs - 1) // bs):
                    if not any(a <= lb <= z for a, z, _ in mapping):
                        blk = os.pread(fd, bs, lb * bs)
                        if blk.strip(b"\0"):
                            err("%s: data block %d not mapped" % (p, lb))
                            break
                pos = h
            f.close()
        elif e["size"] and not mapping:
            err("%s: no blocks" % p)
    for k, v in e["xattr"].items():
        body = eas.get(p, "")
        m = re.search(re.escape(k) + r' \((\d+)\)(?: = "([^"]*)")?', body)
        ok = m and int(m.group(1)) == len(v) and (m.group(2) is None or m.group(2).encode() == v)
        if not ok:
            err("%s: xattr %s: %r, expected %r" % (p, k, body.strip()[:100], v))

for key, inos in inode_of.items():
    if len(inos) != 1:
        err("hard links %s: several inodes %s" % (key, inos))
seen = {}
for key, inos in inode_of.items():
    for i in inos:
        if i in seen and seen[i] != key:
            err("inode %d shared by unrelated paths" % i)
        seen[i] = key
finish()
