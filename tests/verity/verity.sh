# verity: veritysetup verifies kiln's hash devices with kiln's root hash
# and fails after one flipped data byte; veritysetup dump shows the salt
# and UUID of the documented derivation; `veritysetup format` with that
# salt/UUID gives the same root hash and the same bytes; the root hash is
# in `kiln plan` (input data), `kiln inspect` and TMPPATH/NAME.root-hash;
# an erofs image as data; reproducible builds.
. "$KILN_TESTLIB"
need veritysetup python3 cmp

mkdir input
head -c 1048576 /dev/urandom >input/data.img              # 256 blocks: 2 levels
head -c 4096 /dev/urandom >input/one.img                  # 1 block: no tree
head -c $((257 * 512)) /dev/urandom >input/small.img      # 512-byte blocks: 3 levels
head -c 10000 /dev/urandom >input/odd.img                 # not whole blocks
mkdir -p root/etc && echo hello >root/etc/motd
head -c 20000 /dev/urandom >root/etc/blob  # erofs of several blocks
cat >k.cfg <<'C'
image data.verity { verity { image = "data.img" } }
image one.verity { verity { image = "one.img" } }
image small.verity { verity { image = "small.img" extraargs = "--data-block-size=512 --hash-block-size 512" } }
image odd.verity { verity { image = "odd.img" } }
image nosb.verity { verity { image = "data.img" extraargs = "--no-superblock --salt=00ff --uuid 12345678-1234-4234-8234-123456789abc" } }
image root.erofs { erofs { } srcpath = "root" }
image root.verity { verity { image = "root.erofs" } }
C
"$KILN" plan --inputpath input k.cfg >plan.txt 2>plan.err || { cat plan.err; fail "plan"; }
"$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }
grep -q 'odd.verity: the last 1808 bytes of "odd.img" are not a whole 4096-byte block' err \
	|| fail "no warning for the uncovered tail: $(cat err)"

# The documented ids: HMAC-SHA256(SHA-256("kiln-image:" NAME), purpose 0 index).
derive() { python3 -c '
import hashlib, hmac, sys, uuid
k = hashlib.sha256(b"kiln-image:" + sys.argv[1].encode()).digest()
h = hmac.new(k, sys.argv[2].encode() + b"\0\0\0\0\0", hashlib.sha256).digest()
if sys.argv[2].endswith("uuid"):
    b = bytearray(h[:16]); b[6] = b[6] & 0x0f | 0x40; b[8] = b[8] & 0x3f | 0x80
    print(uuid.UUID(bytes=bytes(b)))
else:
    print(h.hex())' "$1" "$2"; }

check() { # NAME DATA [BLOCKSIZE]
	local name=$1 data=$2 bs=${3:-4096} root salt uuid
	root=$(cat "tmp/$name.verity.root-hash")
	[ ${#root} = 64 ] || fail "$name: root hash file '$root'"
	salt=$(derive "$name.verity" verity-salt)
	uuid=$(derive "$name.verity" verity-uuid)
	veritysetup dump "out/$name.verity" >dump.txt
	grep -Eq "^Salt:[[:space:]]+$salt\$" dump.txt || fail "$name: salt is not the derivation: $(grep Salt dump.txt)"
	grep -Eq "^UUID:[[:space:]]+$uuid\$" dump.txt || fail "$name: uuid: $(grep UUID dump.txt)"
	veritysetup verify "$data" "out/$name.verity" "$root" || fail "$name: veritysetup verify"
	# Twin: veritysetup format with the same salt and uuid.
	veritysetup format --salt="$salt" --uuid="$uuid" --data-block-size="$bs" --hash-block-size="$bs" \
		"$data" "twin-$name.hash" >twin.txt
	grep -Eq "^Root hash:[[:space:]]+$root\$" twin.txt || fail "$name: veritysetup's root hash differs: $(grep Root twin.txt)"
	cmp "twin-$name.hash" "out/$name.verity" || fail "$name: hash device differs from veritysetup's"
	# kiln inspect computes the same root from the tree (not for one block).
	if [ "$(stat -c %s "$data")" -ge $((2 * bs)) ]; then
		"$KILN" inspect "out/$name.verity" | grep -q "^root hash: $root\$" || fail "$name: kiln inspect"
	fi
	# One flipped byte in the data: verification fails.
	cp "$data" flipped.img
	printf '\x5a' | dd of=flipped.img bs=1 seek=$(( $(stat -c %s "$data") / 2 - 1000 )) conv=notrunc status=none
	cmp -s "$data" flipped.img && printf '\xa5' | dd of=flipped.img bs=1 seek=$(( $(stat -c %s "$data") / 2 - 1000 )) conv=notrunc status=none
	if veritysetup verify flipped.img "out/$name.verity" "$root" 2>/dev/null; then
		fail "$name: verify passed with a flipped data byte"
	fi
}
check data input/data.img
check one input/one.img
check small input/small.img 512
check odd input/odd.img
check root out/root.erofs

# A flipped byte in the hash device: veritysetup and kiln inspect see it.
cp out/data.verity bad.verity
printf '\x01' | dd of=bad.verity bs=1 seek=$((2 * 4096 + 100)) conv=notrunc status=none
cmp -s bad.verity out/data.verity && printf '\x02' | dd of=bad.verity bs=1 seek=$((2 * 4096 + 100)) conv=notrunc status=none
if veritysetup verify input/data.img bad.verity "$(cat tmp/data.verity.root-hash)" 2>/dev/null; then
	fail "veritysetup accepts a corrupted hash device"
fi
expect_fail 1 'check failed' "$KILN" inspect bad.verity
grep -q 'BAD HASH BLOCK 0 of level 1' "$T/.out" || fail "kiln inspect: $(cat "$T/.out")"
"$KILN" inspect out/data.verity | grep -q '^result: OK' || fail "kiln inspect of the good device"

# The plan shows the root hash of input data, and says when it cannot.
grep -q "root hash: $(cat tmp/data.verity.root-hash)" plan.txt || fail "plan lacks data's root hash"
grep -A6 'image root.verity' plan.txt | grep -q 'root hash: known once the data image is written' \
	|| fail "plan: root.verity"

# --no-superblock, given salt and uuid: veritysetup agrees with the parameters.
root=$(cat tmp/nosb.verity.root-hash)
veritysetup verify --no-superblock --salt=00ff input/data.img out/nosb.verity "$root" \
	|| fail "no-superblock verify"
veritysetup format --no-superblock --salt=00ff input/data.img twin-nosb.hash | grep -q "$root" \
	|| fail "no-superblock twin root"
cmp twin-nosb.hash out/nosb.verity || fail "no-superblock twin bytes"
[ "$(stat -c %s out/nosb.verity)" = 12288 ] || fail "no-superblock size"

# Reproducible: another directory and umask.
mkdir again && cp k.cfg again/ && cp -a input root again/
(cd again && umask 077 && "$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp k.cfg 2>/dev/null) \
	|| fail "second build"
for f in data one small odd nosb root; do
	cmp "out/$f.verity" "again/out/$f.verity" || fail "$f.verity differs between builds"
done
echo ok
