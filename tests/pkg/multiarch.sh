# Foreign architectures (architectures = { arm64, armhf }): a dependency
# is satisfied by a Multi-Arch: foreign package of the foreign
# architecture, :any by a Multi-Arch: allowed one, and native packages
# win when both exist — what `apt-get -s install` does with
# APT::Architectures { arm64; armhf }, package for package.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need apt-get

ARCHS="arm64 armhf"
mkkey
mkpkg fa-user 1 arm64 "Depends: fa-tool, both-lib, any-user"
mkpkg fa-tool 1 armhf "Multi-Arch: foreign"
mkpkg both-lib 1 arm64 "Multi-Arch: same"
mkpkg both-lib 1 armhf "Multi-Arch: same"
mkpkg any-user 1 arm64 "Depends: perlish:any"
mkpkg perlish 1 armhf "Multi-Arch: allowed"
mkindex
serve "$T/repo"
apt_init
cat >kiln.cfg <<EOF
repository debian {
	url = "$URL"
	suite = "bookworm"
	components = { main }
	architectures = { arm64, armhf }
	keyring = "$KEYRING"
}
tree m { layer { packages = { "fa-user" } } }
EOF
"$KILN" lock kiln.cfg || fail "kiln lock"
apt_sim fa-user >apt.txt
locked m >kiln.txt
cat apt.txt
diff -u apt.txt kiln.txt || fail "kiln locked something else than apt"
grep -qx 'fa-tool 1 armhf' kiln.txt || fail "foreign tool not taken"
grep -qx 'both-lib 1 arm64' kiln.txt || fail "native both-lib not taken"
exit 0
