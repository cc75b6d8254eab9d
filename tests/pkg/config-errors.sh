# Bad repository sections and package layers: one line naming file:line
# and the key or value, exit 1, no lock written, no network touched.
. "$KILN_TESTLIB"
R='repository r { url = "repo" architectures = { arm64 } keyring = "k.gpg" }'
check() { # CONFIG-TEXT REGEX
	printf '%s\n' "$1" >bad.cfg
	expect_fail 1 "$2" "$KILN" lock bad.cfg
	[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line"; }
	[ ! -e kiln.lock ] || fail "kiln.lock written"
}
check 'tree t { layer { packages = { "a" } } }' \
	'bad.cfg:1: tree .t.: a package layer needs a `repository NAME \{ \}` section'
check "$R
tree t { layer { packages = { \"a\" } repository = nosuch } }" \
	'bad.cfg:2: repository = "nosuch": no `repository nosuch \{ \}` section'
check "$R
repository s { url = \"x\" architectures = { arm64 } keyring = \"k\" }
tree t { layer { packages = { \"a\" } } }" 'bad.cfg:3: tree .t.: package layer: name its repository \(2 are defined\)'
check 'repository r { url = "x" keyring = "k" }
tree t { layer { packages = { "a" } } }' 'bad.cfg:1: repository r: architectures is required'
check 'repository r { url = "x" architectures = { arm64 } }
tree t { layer { packages = { "a" } } }' 'bad.cfg:1: repository r: keyring is required'
check 'repository r { url = "x" suite = "s" architectures = { arm64 } keyring = "k" }
tree t { layer { packages = { "a" } } }' 'bad.cfg:1: repository r: components is required with a suite'
check 'repository r { url = "x" components = { main } architectures = { arm64 } keyring = "k" }
tree t { layer { packages = { "a" } } }' 'bad.cfg:1: components = "main": a flat repository \(no suite\) has no components'
check 'repository r { url = "has space" architectures = { arm64 } keyring = "k" }' \
	'bad.cfg:1: url = "has space"'
check "$R
tree t { layer { packages = { \"a\" } deb = \"x.deb\" } }" \
	'bad.cfg:2: tree .t.: a layer has one source \(dir, archive, deb or packages\)'
check "$R
tree t { layer { exclude = { \"a\" } } }" \
	'bad.cfg:2: tree .t.: repository, exclude and recommends belong to a package layer'
check "$R
tree t { layer { packages = { \"a b\" } } }" 'bad.cfg:2: packages = "a b": not a package name'
check "$R
tree t { layer { packages = { \"a\" } subdir = \"x\" } }" 'bad.cfg:2: subdir = "x": not for package layers'
check 'tree t { layer { dir = "d" } }' 'bad.cfg: no package layers'
check "$R
tree \"a\\nb\" { layer { packages = { \"a\" } } }" 'bad.cfg:2: a tree with package layers needs a name without line breaks'
# A local repository that is not there names the path.
check "$R
tree t { layer { packages = { \"a\" } } }" 'repository r \(bad.cfg:1\): .*repo/Release: No such file or directory'
exit 0
