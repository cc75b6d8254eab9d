# Resolution table: for each case, the packages `kiln lock` locks equal
# what `apt-get -s install` installs on an empty system against the same
# signed repository served over HTTP (versioned dependencies, the first
# alternative, virtual packages, versioned Provides, Multi-Arch with
# :any, Architecture: all, Conflicts/Breaks, exclude, Essential not
# pulled in, Recommends off); an unsatisfiable request names the broken
# dependency.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need apt-get

mkkey
# versioned dependencies: the newest that satisfies
mkpkg libfoo 1.0-1 arm64
mkpkg libfoo 2.1-1 arm64
mkpkg app 1.0 arm64 "Depends: libfoo (>= 2.0), data-all"
mkpkg data-all 3 all
# alternatives: apt takes the first one it can install, not the
# alphabetically first
mkpkg alt-user 1 arm64 "Depends: zz-impl | aa-impl"
mkpkg zz-impl 1 arm64
mkpkg aa-impl 1 arm64
# a virtual package with one provider
mkpkg mail-user 1 arm64 "Depends: mail-transport-agent"
mkpkg tinymta 1 arm64 "Provides: mail-transport-agent"
# versioned Provides
mkpkg vp-user 1 arm64 "Depends: vapi (>= 3)"
mkpkg vprov-old 1 arm64 "Provides: vapi (= 2)"
mkpkg vprov 1 arm64 "Provides: vapi (= 3.1)"
# Multi-Arch
mkpkg ma-user 1 arm64 "Depends: ma-allowed:any, ma-lib, ma-tool"
mkpkg ma-allowed 1 arm64 "Multi-Arch: allowed"
mkpkg ma-lib 1 arm64 "Multi-Arch: same"
mkpkg ma-tool 1 arm64 "Multi-Arch: foreign"
# Conflicts / Breaks steer the choice among alternatives
mkpkg cf-user 1 arm64 "Depends: cf-one | cf-two"
mkpkg cf-one 1 arm64 "Conflicts: cf-other"
mkpkg cf-two 1 arm64
mkpkg cf-other 1 arm64
mkpkg br-user 1 arm64 "Depends: br-one | br-two"
mkpkg br-one 1 arm64 "Breaks: br-other (<< 2)"
mkpkg br-two 1 arm64
mkpkg br-other 1 arm64
# exclude
mkpkg ex-top 1 arm64 "Depends: ex-a | ex-b"
mkpkg ex-a 1 arm64
mkpkg ex-b 1 arm64
# Essential packages are not pulled in; Recommends are off by default
mkpkg ess 1 arm64 "Essential: yes"
mkpkg rec-top 1 arm64 "Recommends: rec-extra" "Depends: libfoo"
mkpkg rec-extra 1 arm64
# unsatisfiable
mkpkg broken 1 arm64 "Depends: missing-lib (>= 5)"
mkindex
serve "$T/repo"
apt_init

# case name | packages | exclude
cases="
versioned|app|
alternative|alt-user|
virtual|mail-user|
vprovides|vp-user|
multiarch|ma-user|
conflicts|cf-user cf-other|
breaks|br-user br-other|
exclude|ex-top|ex-a
essential|app|
recommends|rec-top|
"
{
	cat <<EOF
repository debian {
	url = "$URL"
	suite = "bookworm"
	components = { main }
	architectures = { arm64 }
	keyring = "$KEYRING"
}
EOF
	echo "$cases" | while IFS='|' read -r name pkgs excl; do
		[ -n "$name" ] || continue
		q=$(for p in $pkgs; do printf '"%s", ' "$p"; done)
		x=$(for p in $excl; do printf '"%s", ' "$p"; done)
		ex=
		[ -z "$x" ] || ex=" exclude = { ${x%, } }"
		echo "tree $name { layer { packages = { ${q%, } } repository = debian$ex } }"
	done
} >kiln.cfg

"$KILN" lock kiln.cfg 2>lock.err || { cat lock.err; fail "kiln lock"; }
echo "$cases" | while IFS='|' read -r name pkgs excl; do
	[ -n "$name" ] || continue
	args=$pkgs
	for e in $excl; do args="$args $e-"; done
	# shellcheck disable=SC2086
	apt_sim $args >"apt-$name.txt"
	locked "$name" >"kiln-$name.txt"
	[ -s "apt-$name.txt" ] || fail "$name: apt-get -s installed nothing"
	diff -u "apt-$name.txt" "kiln-$name.txt" || fail "$name: kiln locked something else than apt"
	echo "ok $name: $(cut -d' ' -f1 "kiln-$name.txt" | tr '\n' ' ')"
done
# The cases really exercise the rules.
grep -qx 'zz-impl 1 arm64' kiln-alternative.txt || fail "alternative: not the first"
grep -qx 'libfoo 2.1-1 arm64' kiln-versioned.txt || fail "versioned: not the newest libfoo"
grep -qx 'cf-two 1 arm64' kiln-conflicts.txt || fail "conflicts: cf-one conflicts with cf-other"
grep -qx 'ex-b 1 arm64' kiln-exclude.txt || fail "exclude: ex-a was excluded"
! grep -q '^ess ' kiln-essential.txt || fail "essential: pulled in"
! grep -q '^rec-extra ' kiln-recommends.txt || fail "recommends: pulled in"

# Recommends on, both sides.
sed 's/tree recommends { layer { packages = { "rec-top" }/& recommends = true/' kiln.cfg >rec.cfg
cp rec.cfg kiln.cfg
"$KILN" lock kiln.cfg 2>lock.err || { cat lock.err; fail "kiln lock (recommends)"; }
grep -q '^package rec-extra ' kiln.lock || fail "recommends = true: rec-extra not locked"

# Unsatisfiable: one clear line naming the broken dependency; the old
# lock stays as it was.
cp kiln.lock before.lock
echo 'tree bad { layer { packages = { "broken" } } }' >>kiln.cfg
expect_fail 1 'kiln.cfg:[0-9]+: tree .bad.*missing-lib' "$KILN" lock kiln.cfg
cat "$T/.err"
[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err"; fail "more than one line"; }
cmp before.lock kiln.lock || fail "kiln.lock changed by a failed lock"
ls kiln.lock.tmp.* 2>/dev/null && fail "temporary lock left behind"
# An unknown package.
sed -i 's/"broken"/"no-such-package"/' kiln.cfg
expect_fail 1 'no-such-package.*not in the repository' "$KILN" lock kiln.cfg
exit 0
