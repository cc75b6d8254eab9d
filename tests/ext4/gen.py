#!/usr/bin/env python3
"""Make a randomised source tree for the ext4 tests.

usage: gen.py DIR SEED [BIGDIR_ENTRIES] [--huge]

Every file type a user can create without root (regular, dir, symlink
short and long, hard link, FIFO, socket), sizes at block boundaries,
sparse files, 255-byte names, a deep path, a directory with many
entries (multi-level htree at 1 KiB blocks), UTF-8 and odd bytes in
names. --huge adds a sparse file over 4 GiB. Devices, owners and
xattrs come from the tar spec the test writes next to it.
"""
import os
import random
import socket
import sys

d, seed = sys.argv[1], int(sys.argv[2])
big = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 0
huge = "--huge" in sys.argv
rnd = random.Random(seed)
os.makedirs(d, exist_ok=True)


def wfile(p, size, mode=0o644):
    with open(p, "wb") as f:
        f.write(rnd.randbytes(size))
    os.chmod(p, mode)


# Sizes around 1 KiB and 4 KiB block boundaries, and the inline-symlink limit.
os.makedirs(f"{d}/sizes")
for s in (0, 1, 59, 60, 61, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 8192, 12 * 1024 + 1,
          65536, 268 * 1024 + 7, 1 << 20):
    wfile(f"{d}/sizes/f{s}", s)

# Modes, including setuid/setgid/sticky.
os.makedirs(f"{d}/modes")
for m in (0o600, 0o640, 0o755, 0o4755, 0o2755, 0o1777) + ((0o000,) if os.geteuid() == 0 else ()):
    p = f"{d}/modes/m{m:o}"
    wfile(p, 10)
    os.chmod(p, m)
os.makedirs(f"{d}/modes/sticky")
os.chmod(f"{d}/modes/sticky", 0o1777)

# Links and special files.
os.makedirs(f"{d}/links")
os.symlink("short", f"{d}/links/s1")
os.symlink("x" * 59, f"{d}/links/s59")
os.symlink("y" * 60, f"{d}/links/s60")
os.symlink("/" + "z/" * 200 + "end", f"{d}/links/slong")
wfile(f"{d}/links/target", 3000)
os.link(f"{d}/links/target", f"{d}/links/hard1")
os.makedirs(f"{d}/links/sub")
os.link(f"{d}/links/target", f"{d}/links/sub/hard2")
os.mkfifo(f"{d}/links/fifo")
s = socket.socket(socket.AF_UNIX)
s.bind(f"{d}/links/sock")
s.close()

# Sparse files: holes at start, middle and end.
os.makedirs(f"{d}/sparse")
with open(f"{d}/sparse/mid", "wb") as f:
    f.write(b"a" * 5000)
    f.seek(3 << 20)
    f.write(b"b" * 5000)
with open(f"{d}/sparse/lead", "wb") as f:
    f.seek(1 << 20)
    f.write(b"c" * 100)
with open(f"{d}/sparse/trail", "wb") as f:
    f.write(b"d" * 100)
    f.truncate(2 << 20)
with open(f"{d}/sparse/many", "wb") as f:
    # 12 data islands: more extents than the inode holds (a depth-1 tree).
    for i in range(12):
        f.seek(i * (256 << 10))
        f.write(bytes([65 + i]) * 3000)
with open(f"{d}/sparse/empty", "wb") as f:
    f.truncate(10 << 20)
if huge:
    with open(f"{d}/sparse/huge", "wb") as f:
        f.write(b"head")
        f.seek((4 << 30) + 12345)
        f.write(b"tail past 4 GiB")
        f.truncate(5 << 30)

# Names: 255 bytes, UTF-8, spaces and odd characters; a deep path.
os.makedirs(f"{d}/names")
wfile(f"{d}/names/" + "n" * 255, 7)
wfile(f"{d}/names/" + "é" * 127, 7)
wfile(f"{d}/names/with space", 7)
wfile(f"{d}/names/quote'semi;colon", 7)
p = d + "/deep"
for i in range(60):
    p += "/level%02d" % i
os.makedirs(p)
wfile(p + "/leaf", 100)

# Random files in random directories.
dirs = [d]
for i in range(400):
    base = rnd.choice(dirs)
    if rnd.random() < 0.15:
        n = f"{base}/d{i}"
        os.makedirs(n)
        dirs.append(n)
    else:
        wfile(f"{base}/f{i}", rnd.choice([0, 10, 100, 1000, 5000, 20000, 70000]))

# A large directory (htree; multi-level at 1 KiB blocks).
if big:
    os.makedirs(f"{d}/big")
    for i in range(big):
        n = f"{d}/big/entry-{i:06d}-" + "q" * rnd.randrange(0, 40)
        open(n, "wb").close()
