#!/bin/bash
# rauc: `rauc bundle` on a directory of the manifest and the files
# (`file NAME { image offset }`, `files`), signed with key/cert, checked
# against keyring. rauc info verifies the signature with the CA and shows
# the manifest and each image's checksum; bad configs and a failing tool
# give one line and leave no output and no temporary.
. "$KILN_TESTLIB"
need rauc openssl mksquashfs unsquashfs

mkdir -p root in/ca in/sub tmp
# A CA and a signing certificate it issued (what genimage's test ships).
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=Test Org/CN=Test CA" \
	-keyout in/ca/ca.key.pem -out in/ca/ca.cert.pem -addext basicConstraints=critical,CA:TRUE \
	>/dev/null 2>&1 || fail "openssl CA"
openssl req -newkey rsa:2048 -nodes -subj "/O=Test Org/CN=Signer" \
	-keyout in/ca/signing.key.pem -out signing.csr >/dev/null 2>&1 || fail "openssl csr"
openssl x509 -req -in signing.csr -CA in/ca/ca.cert.pem -CAkey in/ca/ca.key.pem -CAcreateserial \
	-days 3650 -out in/ca/signing.cert.pem >/dev/null 2>&1 || fail "openssl sign"
echo test >in/rauc.content
echo xtest2 >in/rauc2.content
head -c 70000 /dev/urandom >in/sub/boot.img
cat >r.cfg <<'CFG'
image test.raucb {
	rauc {
		file content { image = "rauc.content" }
		files = { "sub/boot.img" }
		manifest = "
			[update]
			compatible=kiln-test
			version=42
			build=23
			description='kiln rauc test'

			[image.rootfs]
			filename=content

			[image.boot]
			filename=boot.img
			"
		cert = "ca/signing.cert.pem"
		key = "ca/signing.key.pem"
		keyring = "ca/ca.cert.pem"
	}
}
image test2.raucb {
	rauc {
		file data {
			image = "rauc2.content"
			offset = 1
		}
		manifest = "
			[update]
			compatible=kiln-test
			version=43

			[image.rootfs]
			filename=data
			"
		cert = "ca/signing.cert.pem"
		key = "ca/signing.key.pem"
	}
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run r.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
info() { rauc info --keyring in/ca/ca.cert.pem "$1" 2>&1; }
info out/test.raucb >info1 || { cat info1; fail "rauc info: signature not verified"; }
grep -q "Compatible:[[:space:]]*'kiln-test'" info1 || { cat info1; fail "compatible"; }
grep -q "Version:[[:space:]]*'42'" info1 || fail "version"
grep -q "Description:.*kiln rauc test" info1 || fail "description"
grep -q "Checksum:[[:space:]]*$(sha256sum <in/rauc.content | cut -d' ' -f1)" info1 || { cat info1; fail "content checksum"; }
grep -q "Checksum:[[:space:]]*$(sha256sum <in/sub/boot.img | cut -d' ' -f1)" info1 || fail "files: boot.img checksum"
grep -q "Filename:[[:space:]]*boot.img$" info1 || fail "files: basename as target"
# offset = 1 skips the first byte, as genimage's dd skip.
info out/test2.raucb >info2 || { cat info2; fail "rauc info test2"; }
grep -q "Checksum:[[:space:]]*$(printf 'test2\n' | sha256sum | cut -d' ' -f1)" info2 || { cat info2; fail "offset"; }
grep -q "Size:[[:space:]]*6$" info2 || fail "size after offset"
# Signed by the given certificate: another CA does not verify it.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Other" -keyout o.key -out o.pem >/dev/null 2>&1
rauc info --keyring o.pem out/test.raucb >/dev/null 2>&1 && fail "verified against an unrelated CA"
expect_no_output tmp
# genimage 16 (Debian 12) knows no `offset`: compare the first bundle.
sed '/^image test2.raucb/,$d' r.cfg >g.cfg
if command -v genimage >/dev/null &&
	genimage --config g.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	info gout/test.raucb | grep -E 'Compatible|Version|Checksum|Filename|Size' >g
	grep -E 'Compatible|Version|Checksum|Filename|Size' info1 | diff g - || fail "genimage's bundle says otherwise"
fi

# Mandatory options: one line naming the section.
sed '/manifest = "/,/^\t\t\t"$/d' r.cfg >nom.cfg
expect_fail 1 "nom.cfg:[0-9]+: image 'test.raucb': .*manifest.* missing" run nom.cfg tmp1 o1
sed '/key = /d' r.cfg >nok.cfg
expect_fail 1 "nok.cfg:[0-9]+: image 'test.raucb': .*key.* missing" run nok.cfg tmp1 o1
expect_no_output o1
# A target outside the bundle directory, an offset past the end.
sed 's/file content {/file ..\/x {/' r.cfg >dots.cfg
expect_fail 1 "dots.cfg:3: image 'test.raucb': .*not a relative path inside the bundle" run dots.cfg tmp1 o1
sed 's/offset = 1/offset = 100/' r.cfg >off.cfg
expect_fail 1 "image 'test2.raucb': file \"data\": offset 100 is past the end" run off.cfg tmp2 o2
expect_no_output tmp2
[ ! -e o2/test2.raucb ] || fail "output left after a failed bundle"
# rauc fails (no such key): one line, nothing left.
sed 's;signing.key.pem;missing.key.pem;' r.cfg >bad.cfg
expect_fail 1 "image 'test.raucb': .*missing.key.pem" run bad.cfg tmp3 o3
expect_no_output o3
expect_no_output tmp3
exit 0
