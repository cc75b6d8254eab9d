#!/bin/bash
# Issue 14: every image type kiln added to genimage's (custom aside: the
# user's command) built twice from one config is bit-identical — other
# tmp and output directories (other path lengths), umask 022 vs 077,
# TZ and, when run as root, the second build as another user. btrfs and
# ubifs come from tools that draw UUIDs at random and copy the host's
# change times, rauc signs with the clock's time and salts its verity
# tree at random: kiln rewrites those.
# A type whose tool is missing is left out, and said.
. "$KILN_TESTLIB"
need openssl

mkdir -p root/etc/sub root/usr/bin in
echo hello >root/etc/hi
printf 'KILN-MARKER-%s\n' $(seq 1 3000) >root/etc/marker
head -c 300000 /dev/urandom >root/usr/bin/big
ln -s hi root/etc/link
chmod 0640 root/etc/hi
head -c 5000 /dev/urandom >in/bl31.bin
head -c 3000 /dev/urandom >in/bl33.bin
head -c 1500000 /dev/urandom >in/big.bin  # a verity tree of two levels
# Keys: RSA (PKCS#1 v1.5 signatures are deterministic), a CA and a signer.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Repro CA" \
	-keyout in/ca.key -out in/ca.pem -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=Repro Signer" -keyout in/sign.key \
	-out sign.csr >/dev/null 2>&1
openssl x509 -req -in sign.csr -CA in/ca.pem -CAkey in/ca.key -CAcreateserial -days 3650 \
	-out in/sign.pem >/dev/null 2>&1 || fail "openssl"

skipped=
has() { command -v "$1" >/dev/null 2>&1 || { skipped="$skipped $2 ($1 missing)"; return 1; }; }
{
	cat <<'CFG'
flash nand {
	pebsize = 16384
	lebsize = 15360
	numpebs = 4096
	minimum-io-unit-size = 512
}
flash nor {
	pebsize = 65536
	numpebs = 256
}
image fs.cramfs { cramfs { } }
image fs.erofs { erofs { } }
image fs.squashfs { squashfs { } }
image fs.tar { tar { } }
image fs.verity { verity { image = "fs.erofs" } }
image fs.verity-sig { verity-sig { image = "fs.verity" cert = "sign.pem" key = "sign.key" } }
image fs.md { mdraid { image = "fs.erofs" } }
image fs.simg { android-sparse { image = "fs.erofs" } }
image fs.qcow2 { qemu { } partition a { image = "fs.erofs" } }
image fs.fip { fip { nt-fw = "bl33.bin" soc-fw = "bl31.bin" } }
CFG
	if has mkfs.btrfs btrfs; then
		echo 'image fs.btrfs { btrfs { label = "ROOT" } size = 128M empty = true }'
	fi
	if has mkfs.ubifs ubifs; then
		echo 'image fs.ubifs { ubifs { } flashtype = "nand" size = 8M }'
		echo 'image fs.ubi { ubi { } partition root { image = "fs.ubifs" } flashtype = "nand" }'
	fi
	if has mkfs.jffs2 jffs2; then
		echo 'image fs.jffs2 { jffs2 { } flashtype = "nor" }'
	fi
	if has mkfs.f2fs f2fs && has sload.f2fs f2fs; then
		echo 'image fs.f2fs { f2fs { } size = 64M }'
	fi
	if has genisoimage iso; then
		echo 'image fs.iso { iso { volume-id = "ROOT" } }'
	fi
	if has rauc rauc && has mksquashfs rauc; then
		cat <<'CFG'
image fs.raucb {
	rauc {
		file root.img { image = "fs.squashfs" }
		files = { "bl31.bin" }
		manifest = "
			[update]
			compatible=kiln-repro
			version=1

			[image.rootfs]
			filename=root.img
			"
		cert = "sign.pem"
		key = "sign.key"
		keyring = "ca.pem"
	}
}
image verity.raucb {
	rauc {
		files = { "big.bin" }
		manifest = "
			[update]
			compatible=kiln-repro
			version=1

			[bundle]
			format=verity

			[image.rootfs]
			filename=big.bin
			"
		cert = "sign.pem"
		key = "sign.key"
	}
}
CFG
	fi
} >r.cfg
[ -z "$skipped" ] || echo "SKIP (tool missing):$skipped" >&2

# Build 1: umask 022, short directories, TZ UTC.
(umask 022 && TZ=UTC "$GENIMAGE_KILN" --config r.cfg --rootpath root --tmppath t \
	--inputpath in --outputpath o) >log1 2>&1 || { cat log1; fail "first build failed"; }
# Build 2: umask 077, longer directories, another TZ; as root, as nobody
# from a copy of the inputs it may read.
d2=second-build-with-a-longer-path
mkdir -p $d2
cp -a r.cfg root in $d2/
as=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# Modes stay as they are (they are input); the copy becomes nobody's.
	chmod a+rx "$T"
	chown -R 65534:65534 $d2
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	echo "SKIP (not root): the second build runs as the same user" >&2
fi
(cd $d2 && umask 077 && TZ=Asia/Kolkata "${as[@]}" "$GENIMAGE_KILN" --config r.cfg \
	--rootpath root --tmppath tmp-dir-of-the-second-build --inputpath in \
	--outputpath output-dir-of-the-second-build) >log2 2>&1 || { cat log2; fail "second build failed"; }

n=0 differ=
for f in o/*; do
	g=$d2/output-dir-of-the-second-build/${f#o/}
	cmp -s "$f" "$g" || differ="$differ ${f#o/} ($( (cmp -l "$f" "$g" 2>&1 || true) | wc -l) bytes)"
	n=$((n + 1))
done
[ -z "$differ" ] || fail "differ between the builds:$differ"
[ "$n" -ge 10 ] || fail "only $n images built"

# The ids written over the tools' random ones follow docs/reproducibility.md
# (its purpose strings, Python's hmac; no seed: SHA-256("kiln-image:" NAME)).
uuid() {
	python3 - "$KILN_SRC/docs/reproducibility.md" "$1" "$2" <<'PY'
import hashlib, hmac, re, sys
purpose = None
for line in open(sys.argv[1], encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[0] == sys.argv[3]:
        purpose = re.match(r"`([^`]*)`", cells[2]).group(1)
assert purpose, sys.argv[3]
seed = hashlib.sha256(b"kiln-image:" + sys.argv[2].encode()).digest()
b = bytearray(hmac.new(seed, purpose.encode() + b"\0\0\0\0\0", "sha256").digest()[:16])
b[6] = b[6] & 0x0f | 0x40
b[8] = b[8] & 0x3f | 0x80
h = b.hex()
print("-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:])))
PY
}
if [ -e o/fs.ubifs ]; then
	[ "$(od -An -tx1 -j108 -N16 o/fs.ubifs | tr -d ' \n')" = "$(uuid fs.ubifs 'UBIFS UUID' | tr -d -)" ] ||
		fail "UBIFS UUID is not the documented id"
fi
if [ -e o/fs.btrfs ]; then
	btrfs inspect-internal dump-super o/fs.btrfs >super
	grep -q "^dev_item.uuid[[:space:]]*$(uuid fs.btrfs 'btrfs device UUID')$" super ||
		{ cat super; fail "btrfs device UUID is not the documented id"; }
	btrfs inspect-internal dump-tree o/fs.btrfs >tree
	c=$(uuid fs.btrfs 'btrfs chunk tree UUID')
	grep -q "^chunk uuid $c$" tree && ! grep "^chunk uuid" tree | grep -v "chunk uuid $c$" ||
		fail "btrfs chunk tree UUID is not the documented id"
	grep -q "^[[:space:]]*uuid $(uuid fs.btrfs 'btrfs top subvolume UUID')$" tree ||
		fail "btrfs subvolume UUID is not the documented id"
fi

# The rewritten images stay valid: btrfs check; every UBIFS node's CRC;
# rauc verifies the signature (signing time: the epoch) and extracts.
if [ -e o/fs.btrfs ]; then
	btrfs check o/fs.btrfs >check.log 2>&1 || { cat check.log; fail "btrfs check"; }
	btrfs inspect-internal dump-super -fa o/fs.btrfs >supers 2>&1 || fail "dump-super"
	[ "$(grep -c '^csum.*\[match\]' supers)" = 2 ] || { cat supers; fail "superblock copies"; }
fi
if [ -e o/fs.ubifs ]; then
	python3 - o/fs.ubifs <<'PY' || fail "UBIFS node CRCs"
import struct, sys, zlib
img = open(sys.argv[1], 'rb').read()
leb = struct.unpack_from('<I', img, 36)[0]
log, lpt = struct.unpack_from('<II', img, 56)
bad = nodes = 0
for n in range(len(img) // leb):
    if 3 + log <= n < 3 + log + lpt:
        continue                         # LPT area: not nodes
    b, o = img[n * leb:(n + 1) * leb], 0
    while o + 24 <= len(b) and b[o] != 0xff:
        if b[o] == 0xce:
            o += 1
            continue
        magic, crc, _, ln = struct.unpack_from('<IIQI', b, o)
        assert magic == 0x06101831, (n, o)
        nodes += 1
        bad += crc != zlib.crc32(b[o + 8:o + ln]) ^ 0xffffffff
        o += ln + struct.unpack_from('<I', b, o + 24)[0] if b[o + 20] == 5 else (ln + 7) & ~7
    if n == 0:
        assert b[20] == 6 and bad == 0
sys.exit(1 if bad or nodes < 10 else 0)
PY
fi
if [ -e o/fs.raucb ]; then
	rauc info --keyring in/ca.pem o/fs.raucb >info 2>&1 || { cat info; fail "rauc info"; }
	grep -q "Checksum:[[:space:]]*$(sha256sum <o/fs.squashfs | cut -d' ' -f1)" info ||
		{ cat info; fail "rauc info: checksum of root.img"; }
	rauc extract --keyring in/ca.pem o/fs.raucb x >/dev/null 2>&1 || fail "rauc extract"
	cmp x/root.img o/fs.squashfs || fail "extracted root.img differs"
	n=$(tail -c 8 o/fs.raucb | od -An -tu8 --endian=big | tr -d ' ')
	tail -c $((n + 8)) o/fs.raucb | head -c "$n" >sig.der
	openssl cms -cmsout -print -inform DER -in sig.der | grep -A2 signingTime >st
	grep -q "UTCTIME:Nov 14 22:13:20 2023 GMT" st || { cat st; fail "signing time is not SOURCE_DATE_EPOCH"; }
	# verity: kiln's salt and the tree made with it; rauc checks the
	# payload against the root hash when it extracts.
	rauc info --keyring in/ca.pem o/verity.raucb >vinfo 2>&1 || { cat vinfo; fail "rauc info verity"; }
	grep -q "Bundle Format:[[:space:]]*verity" vinfo || { cat vinfo; fail "not a verity bundle"; }
	rauc extract --keyring in/ca.pem o/verity.raucb vx >vx.log 2>&1 || { cat vx.log; fail "rauc extract verity"; }
	cmp vx/big.bin in/big.bin || fail "extracted big.bin differs"
	salt=$(python3 - "$KILN_SRC/docs/reproducibility.md" <<'PY'
import hashlib, hmac, re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[0] == "RAUC verity salt":
        purpose = re.match(r"`([^`]*)`", cells[2]).group(1).encode()
seed = hashlib.sha256(b"kiln-image:verity.raucb").digest()
print(hmac.new(seed, purpose + b"\0\0\0\0\0", "sha256").hexdigest())
PY
)
	grep -aq "verity-salt=$salt" o/verity.raucb || fail "verity salt is not the documented id"
fi
exit 0
