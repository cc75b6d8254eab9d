# as-nobody.sh SCRIPT: run one shell test as uid/gid 65534 with no groups
# and no capabilities, with a HOME and TMPDIR of its own. When a directory
# on the way to the binary or the sources is not open to that user (CI
# clones anywhere, as root), the binary, tests/ and docs/ are copied to a
# temporary directory instead: the caller's tree is never chmod'ed.
set -euo pipefail
script=${1:?usage: as-nobody.sh SCRIPT}
: "${KILN:?run through ctest (KILN unset)}"
ID=65534
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: already unprivileged (uid $(id -u)): the test runs as this user directly" >&2
	exit 77
fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed" >&2; exit 77; }
as_user() { setpriv --reuid=$ID --regid=$ID --clear-groups --inh-caps=-all "$@"; }

W=
for base in "${TMPDIR:-/tmp}" /tmp; do
	W=$(mktemp -d "$base/kiln-unpriv.XXXXXX")
	chmod 0755 "$W"
	mkdir "$W/home" "$W/tmp"
	chown $ID:$ID "$W/home" "$W/tmp"
	as_user test -w "$W/tmp" && break
	rm -rf "$W"
	W=
done
[ -n "$W" ] || { echo "FAIL: no temporary directory uid $ID can write" >&2; exit 1; }
trap 'rm -rf "$W"' EXIT

rel=${script#"$KILN_SRC"/}
[ "$rel" != "$script" ] || { echo "FAIL: $script is not under KILN_SRC ($KILN_SRC)" >&2; exit 1; }
if ! as_user test -x "$KILN" -a -r "$script" -a -r "$KILN_TESTLIB" -a -r "$KILN_SRC/docs"; then
	# Something on the way is closed to the user: work from copies.
	echo "as-nobody: $KILN_SRC or $KILN is not open to uid $ID; running from a copy in $W" >&2
	mkdir -p "$W/src" "$W/build"
	cp -a "$KILN_SRC/tests" "$KILN_SRC/docs" "$W/src/"
	cp "$KILN" "$W/build/kiln"
	ln -s kiln "$W/build/genimage"
	chmod -R a+rX "$W/src" "$W/build"
	KILN_SRC=$W/src KILN_BUILD=$W/build KILN=$W/build/kiln GENIMAGE_KILN=$W/build/genimage
	KILN_TESTLIB=$W/src/tests/lib/lib.sh script=$W/src/$rel
fi
export KILN KILN_SRC KILN_BUILD GENIMAGE_KILN KILN_TESTLIB
# The test's own temporary directories go below TMPDIR; it starts in HOME.
cd "$W/home"
rc=0
HOME=$W/home TMPDIR=$W/tmp USER=nobody LOGNAME=nobody as_user bash "$script" || rc=$?
exit $rc
