# verity and verity-sig bad inputs: exit 1, one line naming file:line,
# key and value (or the file/image at fault), no sanitizer report, no
# output left behind.
. "$KILN_TESTLIB"
need openssl

mkdir input
head -c 65536 /dev/urandom >input/data.img
head -c 100 /dev/urandom >input/tiny.img
openssl req -x509 -newkey rsa:2048 -nodes -keyout input/a.key -out input/a.pem -days 3650 -subj /CN=a 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout input/b.key -out input/b.pem -days 3650 -subj /CN=b 2>/dev/null
echo "not a certificate" >input/junk.pem

bad() { # REGEX CONFIG-LINES...
	local re=$1
	shift
	rm -rf out tmp
	printf '%s\n' "$@" >b.cfg
	expect_fail 1 "$re" "$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp b.cfg
	expect_no_output out
	! grep -q 'Sanitizer' "$T/.err" || fail "sanitizer report: $*"
}
V='image v.verity { verity { image = "data.img" } }'
bad 'b.cfg:1: image [^ ]+: image = "": mandatory' 'image v.verity { verity { } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--salt xyz": --salt xyz: not an even number of hex digits' \
	'image v.verity { verity { image = "data.img" extraargs = "--salt xyz" } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--hash sha1": --hash sha1: kiln writes sha256' \
	'image v.verity { verity { image = "data.img" extraargs = "--hash sha1" } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--format=0": --format 0: kiln writes format 1' \
	'image v.verity { verity { image = "data.img" extraargs = "--format=0" } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--data-block-size=1000": --data-block-size 1000: a power of two' \
	'image v.verity { verity { image = "data.img" extraargs = "--data-block-size=1000" } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--fec-device=x": "fec-device": not a veritysetup format option' \
	'image v.verity { verity { image = "data.img" extraargs = "--fec-device=x" } }'
bad 'b.cfg:1: image [^ ]+: extraargs = "--uuid": --uuid needs a value' \
	'image v.verity { verity { image = "data.img" extraargs = "--uuid" } }'
bad '"tiny.img" \(100 bytes\) is smaller than one 4096-byte block' \
	'image v.verity { verity { image = "tiny.img" } }'
bad 'data-blocks 17: "data.img" has 16 blocks' \
	'image v.verity { verity { image = "data.img" extraargs = "--data-blocks=17" } }'
bad 'the hash tree needs 8192 bytes, size is 4096' \
	'image v.verity { verity { image = "data.img" } size = 4096 }'
bad 'missing.img' 'image v.verity { verity { image = "missing.img" } }'

bad 'b.cfg:2: image [^ ]+: cert = "": mandatory option is missing' "$V" \
	'image s.sig { verity-sig { image = "v.verity" key = "a.key" } }'
bad 'b.cfg:2: image [^ ]+: key = "pkcs11:token=x;object=y": PKCS#11 URIs are not supported' "$V" \
	'image s.sig { verity-sig { image = "v.verity" cert = "a.pem" key = "pkcs11:token=x;object=y" } }'
bad 'input/b.key: not the private key of the certificate input/a.pem' "$V" \
	'image s.sig { verity-sig { image = "v.verity" cert = "a.pem" key = "b.key" } }'
bad 'input/junk.pem: not an X.509 certificate' "$V" \
	'image s.sig { verity-sig { image = "v.verity" cert = "junk.pem" key = "a.key" } }'
bad 'input/junk.pem: not an unencrypted private key' "$V" \
	'image s.sig { verity-sig { image = "v.verity" cert = "a.pem" key = "junk.pem" } }'
bad 'image = "data.img" is a file image, not verity' \
	'image s.sig { verity-sig { image = "data.img" cert = "a.pem" key = "a.key" } }'
bad 'the signature needs [0-9]+ bytes, size is 512' "$V" \
	'image s.sig { verity-sig { image = "v.verity" cert = "a.pem" key = "a.key" } size = 512 }'
echo ok
