# verity-sig: the DPS signature JSON (python3 parses it: exactly rootHash,
# certificateFingerprint, signature), NUL-padded to 4 KiB; rootHash is the
# verity image's; the fingerprint is openssl's sha256 of the certificate;
# `openssl cms -verify` accepts the signature over the root hash (and not
# over another); no signed attributes (no signing time); byte-identical to
# what genimage gets from `openssl cms -sign -noattr -binary` for an RSA key,
# so reproducible; an ECDSA key verifies too.
. "$KILN_TESTLIB"
need openssl python3 veritysetup

mkdir input
head -c 262144 /dev/urandom >input/data.img
# A CA and a signing certificate it issued, as genimage's test does.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out input/ca.pem -days 3650 \
	-subj /CN=kiln-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout input/sign.key -out sign.csr -subj /CN=kiln-verity 2>/dev/null
openssl x509 -req -in sign.csr -CA input/ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
	-out input/sign.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout input/ec.key \
	-out input/ec.pem -days 3650 -subj /CN=kiln-ec 2>/dev/null
openssl x509 -in input/sign.pem -outform DER -out input/sign.der

cat >k.cfg <<'C'
image root.verity { verity { image = "data.img" } }
image root.verity-sig { verity-sig { image = "root.verity" cert = "sign.pem" key = "sign.key" } }
image der.verity-sig { verity-sig { image = "root.verity" cert = "sign.der" key = "sign.key" } }
image ec.verity-sig { verity-sig { image = "root.verity" cert = "ec.pem" key = "ec.key" } }
C
"$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }
root=$(cat tmp/root.verity.root-hash)
veritysetup verify input/data.img out/root.verity "$root" || fail "verity"

for s in root der ec; do
	f=out/$s.verity-sig
	size=$(stat -c %s "$f")
	[ $((size % 4096)) = 0 ] && [ "$size" -gt 0 ] || fail "$s: size $size is not a multiple of 4096"
	python3 - "$f" "$root" "$s" <<'P' || fail "$s: JSON"
import base64, json, sys
raw = open(sys.argv[1], 'rb').read()
text = raw.rstrip(b'\0')
assert b'\0' not in text, "NUL inside the JSON"
assert all(c == 0 for c in raw[len(text):]), "padding is not NUL"
j = json.loads(text)
assert sorted(j) == ['certificateFingerprint', 'rootHash', 'signature'], sorted(j)
assert j['rootHash'] == sys.argv[2], (j['rootHash'], sys.argv[2])
open(sys.argv[3] + '.p7s', 'wb').write(base64.b64decode(j['signature'], validate=True))
open(sys.argv[3] + '.fp', 'w').write(j['certificateFingerprint'])
P
	cert=input/sign.pem; [ $s = ec ] && cert=input/ec.pem
	fp=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
	[ "$(cat $s.fp)" = "$fp" ] || fail "$s: fingerprint $(cat $s.fp), openssl says $fp"
	printf %s "$root" >rh
	ca=input/ca.pem; [ $s = ec ] && ca=input/ec.pem
	openssl cms -verify -binary -inform DER -in $s.p7s -content rh -CAfile "$ca" -purpose any \
		-out /dev/null 2>cms.err || { cat cms.err; fail "$s: openssl cms -verify"; }
	printf %s "${root%?}0" >rh-other
	[ "${root: -1}" = 0 ] && printf %s "${root%?}1" >rh-other
	if openssl cms -verify -binary -inform DER -in $s.p7s -content rh-other -CAfile "$ca" \
		-purpose any -out /dev/null 2>/dev/null; then
		fail "$s: the signature verifies over another root hash"
	fi
	openssl cms -cmsout -print -inform DER -in $s.p7s >print.txt
	grep -A1 'signedAttrs:$' print.txt | grep -q '<ABSENT>' || fail "$s: signed attributes present"
	! grep -qi 'signingTime' print.txt || fail "$s: a signing time"
done

# What genimage runs, for the RSA key: the same DER.
printf %s "$root" >rh
openssl cms -sign -noattr -signer input/sign.pem -inkey input/sign.key -binary -in rh \
	-outform DER -out ref.p7s
cmp ref.p7s root.p7s || fail "signature differs from openssl cms -sign -noattr -binary"
cmp out/root.verity-sig out/der.verity-sig || fail "DER and PEM certificates give different partitions"

# Reproducible (RSA): another directory, umask and time.
mkdir again && cp k.cfg again/ && cp -a input again/
(cd again && umask 077 && "$KILN" build --no-bmap --inputpath input --outputpath out --tmppath tmp k.cfg 2>/dev/null) \
	|| fail "second build"
cmp out/root.verity-sig again/out/root.verity-sig || fail "root.verity-sig differs between builds"
echo ok
