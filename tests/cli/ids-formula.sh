# docs/reproducibility.md gives the formula of every id kiln invents. This
# recomputes them from that page (Python's hmac, no kiln code) and compares
# with what real tools read from built images, with and without a seed,
# so the documentation cannot drift from the code.
. "$KILN_TESTLIB"
need python3 sfdisk blkid dumpe2fs debugfs
mkdir -p input tmp
printf 'x\n' >input/f.txt
cat >kiln.cfg <<'CFG'
tree t {
	user alice { password = "pw" }
}
image root.ext4 { ext4 { } size = 8M tree = t }
image boot.vfat { vfat { files = { "f.txt" } } size = 4M }
image gpt.img {
	hdimage { partition-table-type = "gpt" }
	partition boot { image = "boot.vfat" }
	partition root { image = "root.ext4" }
}
image mbr.img {
	hdimage { partition-table-type = "mbr" }
	partition boot { image = "boot.vfat" }
}
CFG
chmod 600 kiln.cfg

# The documented formulas, nothing else; the purpose strings are read from
# the table in docs/reproducibility.md itself.
cat >ids.py <<'PY'
import hashlib, hmac, re, struct, sys

P = {}
for line in open(sys.argv[2], encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[2].startswith("`"):
        P[cells[0]] = re.match(r"`([^`]*)`", cells[2]).group(1)
need = ("GPT disk GUID", "GPT partition GUID", "MBR disk signature", "ext2/3/4 UUID",
        "ext4 directory hash seed", "FAT volume id", "password salt")
missing = [n for n in need if n not in P]
if missing:
    sys.exit("docs/reproducibility.md: no purpose for %s" % ", ".join(missing))

def sha(b): return hashlib.sha256(b).digest()

def image_seed(name, seed):
    if seed is None:
        return sha(b"kiln-image:" + name.encode())
    return hmac.new(sha(seed.encode()), name.encode() + b"\0" + struct.pack(">I", 0),
                    hashlib.sha256).digest()

def tree_seed(tree, seed):
    return sha(seed.encode()) if seed is not None else sha(b"kiln-tree:" + tree.encode())

def ident(key, purpose, index):
    return hmac.new(key, purpose.encode() + b"\0" + struct.pack(">I", index),
                    hashlib.sha256).digest()

def uuid(key, purpose, index):
    b = bytearray(ident(key, purpose, index)[:16])
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return "-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))

def salt(key, purpose):
    raw = int.from_bytes(ident(key, purpose, 0)[:12], "big")
    abc = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(abc[(raw >> (90 - 6 * i)) & 63] for i in range(16))

seed = sys.argv[1] or None
gpt, mbr, ext, fat = (image_seed(n, seed) for n in ("gpt.img", "mbr.img", "root.ext4", "boot.vfat"))
print("gpt-disk", uuid(gpt, P["GPT disk GUID"], 0))
print("gpt-part1", uuid(gpt, P["GPT partition GUID"], 1))
print("gpt-part2", uuid(gpt, P["GPT partition GUID"], 2))
print("mbr-sig", "0x%08x" % struct.unpack("<I", ident(mbr, P["MBR disk signature"], 0)[:4]))
print("ext4-uuid", uuid(ext, P["ext2/3/4 UUID"], 0))
print("ext4-hash-seed", uuid(ext, P["ext4 directory hash seed"], 0))
v = struct.unpack("<I", ident(fat, P["FAT volume id"], 0)[:4])[0]
print("fat-volid", "%04X-%04X" % (v >> 16, v & 0xFFFF))
print("salt", salt(tree_seed("t", seed), P["password salt"] + "alice"))
PY

# What the images hold, as the tools read it.
read_ids() {
	local o=$1
	echo "gpt-disk $(sfdisk --disk-id "$o/gpt.img" | tr A-F a-f)"
	echo "gpt-part1 $(sfdisk --part-uuid "$o/gpt.img" 1 | tr A-F a-f)"
	echo "gpt-part2 $(sfdisk --part-uuid "$o/gpt.img" 2 | tr A-F a-f)"
	echo "mbr-sig $(sfdisk --disk-id "$o/mbr.img")"
	echo "ext4-uuid $(dumpe2fs -h "$o/root.ext4" 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')"
	echo "ext4-hash-seed $(dumpe2fs -h "$o/root.ext4" 2>/dev/null | sed -n 's/^Directory Hash Seed: *//p')"
	echo "fat-volid $(blkid -p -o value -s UUID "$o/boot.vfat")"
	echo "salt $(debugfs -R 'cat /etc/shadow' "$o/root.ext4" 2>/dev/null |
		awk -F: '$1 == "alice" { split($2, h, "$"); print h[3] }')"
}

for seed in "" "doc seed"; do
	o=out-${seed// /-}
	if [ -n "$seed" ]; then
		"$KILN" build --seed "$seed" --inputpath input --tmppath tmp --outputpath "$o" kiln.cfg \
			>/dev/null 2>build.err || { cat build.err; fail "build (seed '$seed')"; }
	else
		"$KILN" build --inputpath input --tmppath tmp --outputpath "$o" kiln.cfg \
			>/dev/null 2>build.err || { cat build.err; fail "build (no seed)"; }
	fi
	python3 ids.py "$seed" "$KILN_SRC/docs/reproducibility.md" >want.txt
	read_ids "$o" >got.txt
	# Both sides must be complete: an empty field would hide a broken reader.
	! grep -Eq ' $' got.txt || { cat got.txt; fail "a tool did not report an id"; }
	diff -u want.txt got.txt || fail "ids differ from docs/reproducibility.md (seed '$seed')"
done
echo "ids-formula: ok"
