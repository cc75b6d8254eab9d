# Shared helpers for kiln's shell tests. Source it: . "$KILN_TESTLIB"
set -euo pipefail
: "${KILN:?run through ctest (KILN unset)}"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/kiln-test.XXXXXX")
# Each test has its own build cache, starting empty: never the user's
# ~/.cache, and no test sees what another left there. Outside $T, which
# some tests watch for stray files.
export KILN_CACHE
KILN_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/kiln-test-cache.XXXXXX")
trap 'rm -rf "$T" "$KILN_CACHE"' EXIT
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
need() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done; }

# expect_fail EXITCODE REGEX CMD... : CMD must exit EXITCODE, print a
# message matching REGEX on stderr, and not die of a signal.
expect_fail() {
	local code=$1 re=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	[ "$rc" = "$code" ] || { cat "$T/.err" >&2; fail "'$*' exited $rc, expected $code"; }
	grep -Eq -- "$re" "$T/.err" || { cat "$T/.err" >&2; fail "'$*': message does not match /$re/"; }
}

# expect_fail_clean REGEX OUTDIR CMD... : CMD fails with exit 1 and one
# line matching REGEX on stderr, and leaves nothing in OUTDIR.
expect_fail_clean() {
	local re=$1 dir=$2
	shift 2
	expect_fail 1 "$re" "$@"
	[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err" >&2; fail "'$*': not one line"; }
	expect_no_output "$dir"
}

# No file in DIR except those listed (glob-free names).
expect_no_output() {
	local dir=$1
	[ ! -d "$dir" ] && return 0
	local left
	left=$(find "$dir" -mindepth 1 | head -5)
	[ -z "$left" ] || fail "output left behind after failure: $left"
}

# cpio_extract ARCHIVE : extract a newc archive into the current
# directory with GNU cpio. Without root the host refuses mknod of device
# nodes: those entries alone are left out, and said so on stderr (the
# listing, `cpio -tv`, still shows them to the checks that want them).
cpio_extract() {
	local archive=$1 devs
	if [ "$(id -u)" = 0 ]; then
		cpio -id --quiet --no-absolute-filenames <"$archive"
		return
	fi
	devs=$(cpio -tv --quiet <"$archive" | awk '/^[cb]/ { print $NF }')
	if [ -n "$devs" ]; then
		echo "SKIP (not root): device nodes not created on the host: $(echo $devs)" >&2
		# shellcheck disable=SC2086 # one pattern per node name
		cpio -id --quiet --no-absolute-filenames -f $devs <"$archive"
	else
		cpio -id --quiet --no-absolute-filenames <"$archive"
	fi
}
