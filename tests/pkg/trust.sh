# `kiln lock` trusts a repository the way apt does: every tampering
# (Packages index, Release text, signature, keyring, expired Release, a
# server that is not there) is one clear error naming what failed, and
# kiln.lock is never written half or replaced. Against an unchanged
# repository, the lock is byte-identical when run again.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"

mkkey
mkpkg hello 1.0 arm64 "Depends: libhello"
mkpkg libhello 2 arm64
mkindex
serve "$T/repo"
D=$T/repo/dists/bookworm
cat >kiln.cfg <<EOF
repository debian {
	url = "$URL"
	suite = "bookworm"
	components = { main }
	architectures = { arm64 }
	keyring = "$KEYRING"
}
tree root { layer { packages = { "hello" } } }
image root.ext4 { ext4 { } tree = root size = 4M }
EOF
"$KILN" lock kiln.cfg || fail "kiln lock"
grep -q '^package hello 1.0 arm64 debian ' kiln.lock || fail "hello not locked"
grep -q '^package libhello 2 arm64 debian ' kiln.lock || fail "libhello not locked"
sha=$(sha256sum "$D/InRelease" | cut -d' ' -f1)
grep -q "^release $sha " kiln.lock || fail "InRelease's SHA-256 not recorded"
cp kiln.lock good.lock
"$KILN" lock kiln.cfg || fail "kiln lock (again)"
cmp good.lock kiln.lock || fail "lock differs when run again on the same repository"

# must_refuse REGEX: lock fails with REGEX; kiln.lock is untouched.
must_refuse() {
	expect_fail 1 "$1" "$KILN" lock kiln.cfg
	[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line"; }
	cmp good.lock kiln.lock || fail "kiln.lock changed by a refused lock"
	! ls kiln.lock.tmp.* 2>/dev/null || fail "temporary lock left behind"
	echo "refused: $(cat "$T/.err")"
}
save() { cp -a "$D" "$T/dists.saved"; }
restore() { rm -rf "$D"; cp -a "$T/dists.saved" "$D"; }
save

# A modified Packages index (the signed Release lists the original).
echo "Package: evil" >>"$D/main/binary-arm64/Packages"
xz -kf "$D/main/binary-arm64/Packages"
must_refuse 'Packages.xz: (size|SHA-256) differs from the signed Release'
restore

# Same size, different bytes: the hash is what catches it.
python3 - "$D/main/binary-arm64/Packages.xz" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 1
open(p, 'wb').write(b)
PY
must_refuse 'Packages.xz: SHA-256 differs from the signed Release'
restore

# A modified Release: the signature no longer matches.
sed -i 's/^Suite: bookworm/Suite: bookworx/' "$D/InRelease"
must_refuse 'InRelease: signature not trusted: BADSIG'
restore

# A bad detached signature (no InRelease: Release + Release.gpg).
rm "$D/InRelease"
echo "not what was signed" >"$T/other"
gpg --batch --yes -abs -o "$D/Release.gpg" "$T/other" 2>/dev/null
must_refuse 'Release: signature not trusted: BADSIG'
restore
# ...while a good one is accepted.
rm "$D/InRelease"
"$KILN" lock kiln.cfg || fail "Release + Release.gpg refused"
grep -q "^release $(sha256sum "$D/Release" | cut -d' ' -f1) " kiln.lock ||
	fail "Release's SHA-256 not recorded"
cp good.lock kiln.lock
restore

# A keyring without the signing key.
OTHER=$T/other-gnupg
mkdir -m 700 "$OTHER"
GNUPGHOME=$OTHER gpg --batch --passphrase '' --quick-gen-key "other <o@example.invalid>" \
	rsa2048 sign never 2>/dev/null
GNUPGHOME=$OTHER gpg --batch --export >"$T/other.gpg"
sed "s|keyring = \".*\"|keyring = \"$T/other.gpg\"|" kiln.cfg >k2.cfg
expect_fail 1 'NO_PUBKEY [0-9A-F]+: the signing key is not in the keyring .*other.gpg' \
	"$KILN" lock k2.cfg
cmp good.lock kiln.lock || fail "kiln.lock changed"

# An expired Release: refused, unless the config accepts it (snapshots).
sed -i "/^Date:/a Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC" "$D/Release"
sign "$D"
must_refuse 'Release expired \(Valid-Until passed\); for a dated snapshot set allow-expired = true'
sed 's/keyring = /allow-expired = true\n\tkeyring = /' kiln.cfg >snap.cfg
"$KILN" lock snap.cfg || fail "allow-expired = true refused an expired Release"
cp good.lock kiln.lock # (kiln.lock is per directory)
restore

# A Release from the future (a wrong clock or a forged Date).
sed -i 's/^Date: .*/Date: Fri, 01 Jan 2100 00:00:00 UTC/' "$D/Release"
sign "$D"
must_refuse 'Release is not valid yet \(Date: Fri, 01 Jan 2100 00:00:00 UTC is in the future\)'
restore

# A server that is not there (a closed port).
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >port
closed=$(cat port)
sed "s|url = \".*\"|url = \"http://127.0.0.1:$closed\"|" kiln.cfg >k3.cfg
expect_fail 1 "http://127.0.0.1:$closed/dists/bookworm/InRelease: .*(connect|Connection refused)" \
	"$KILN" lock --retries 0 k3.cfg
cmp good.lock kiln.lock || fail "kiln.lock changed"
exit 0
