#!/usr/bin/env python3
"""Random input trees for the FAT tests: gentree.py DIR SEED NFILES [CLUSTER]

Deep nesting, one large directory, long and Unicode names, names that
collide in 8.3 form, empty files and sizes at cluster boundaries. Names
never differ only in case (FAT cannot hold that) and avoid characters
FAT forbids. Characters above U+FFFF are left out: mtools 4.0.32 (the
oracle) turns surrogate pairs into "__" (the unit test checks kiln's
encoding of them). Deterministic for a given seed."""
import os
import random
import sys

root, seed, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cluster = int(sys.argv[4]) if len(sys.argv) > 4 else 2048
rnd = random.Random(seed)
used = {}  # dir -> set of case-folded names

WORDS = ["boot", "kernel", "Image", "config", "data", "README", "firmware",
         "überlänge", "ÆØÅ-æøå", "Ελληνικά", "кириллица", "日本語", "ŁÓDŹ-żółć",
         "a b c", "x+y=z", "semi;colon", "[brackets]", "dots.in.name",
         "UPPER", "lower", "MiXeD", "~tilde", "comma,sep", "longnamewithoutanyspaces"]

def uniq(d, name):
    s = used.setdefault(d, set())
    base, n = name, 1
    while name.casefold() in s or name.upper() in s:
        n += 1
        name = f"{base}-{n}"
    s.add(name.casefold())
    s.add(name.upper())
    return name

def rname():
    k = rnd.random()
    if k < 0.25:  # plain 8.3 in one case
        b = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rnd.randint(1, 8)))
        e = "".join(rnd.choice("abcdefghij") for _ in range(rnd.randint(0, 3)))
        n = b + ("." + e if e else "")
        return n.upper() if rnd.random() < 0.5 else n
    if k < 0.45:  # collide in 8.3: same long prefix
        return "collision_prefix_%d.txt" % rnd.randint(0, 10**6)
    if k < 0.55:  # very long (up to 255 UTF-16 units)
        return ("long-" + "x" * rnd.randint(50, 240))[:250]
    parts = [rnd.choice(WORDS) for _ in range(rnd.randint(1, 3))]
    n = " ".join(parts)
    if rnd.random() < 0.5:
        n += "." + rnd.choice(["txt", "bin", "dtb", "tar.gz", "JPEG", "c"])
    return n

def size():
    k = rnd.random()
    if k < 0.15:
        return 0
    if k < 0.4:  # cluster boundaries
        return max(0, rnd.randint(1, 4) * cluster + rnd.choice([-1, 0, 1]))
    if k < 0.95:
        return rnd.randint(1, 3000)
    return rnd.randint(10000, 200000)

os.makedirs(root, exist_ok=True)
dirs = [root]
# deep nesting
d = root
for i in range(12):
    d = os.path.join(d, uniq(d, "level%02d with a long name" % i))
    os.mkdir(d)
    dirs.append(d)
# a large directory
big = os.path.join(root, uniq(root, "many"))
os.mkdir(big)
for i in range(nfiles):
    r = rnd.random()
    if r < 0.4:
        parent = big
    elif r < 0.5 and len(dirs) < 200:
        parent = rnd.choice(dirs)
        nd = os.path.join(parent, uniq(parent, rname()))
        os.mkdir(nd)
        dirs.append(nd)
        continue
    else:
        parent = rnd.choice(dirs)
    p = os.path.join(parent, uniq(parent, rname()))
    with open(p, "wb") as f:
        f.write(rnd.randbytes(size()))
