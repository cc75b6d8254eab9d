#!/bin/sh
# An example's packages (examples/EXAMPLE/kiln.lock) into a store:
#   scripts/example-fetch.sh KILN STORE [EXAMPLE]     (EXAMPLE: rpi3 by default)
# The committed lock names exact versions. When Debian publishes a point
# release, the kernel (and other updated packages) of the old one leave the
# mirror's pool, and no snapshot archive is reachable from CI: then the
# fetch fails and the lock is made again from the mirror as it is now
# (`kiln lock`, which rewrites the example's kiln.lock: commit it), then
# fetched. Serialised with the tests that fetch (flock on STORE.lock).
set -eu
KILN=$1
STORE=$2
EX=${3:-rpi3}
case $KILN in /*) ;; *) KILN=$(pwd)/$KILN ;; esac
case $STORE in /*) ;; *) STORE=$(pwd)/$STORE ;; esac
CFG=kiln.cfg
cd "$(dirname "$0")/../examples/$EX" # include("common.cfg") is relative to it
mkdir -p "$STORE"
exec 9>"$STORE.lock"
flock 9
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT
"$KILN" fetch --cache "$STORE" "$CFG" 2>"$ERR" && { cat "$ERR" >&2; exit 0; }
cat "$ERR" >&2
# Only a package the mirror no longer has (404/410) calls for a new lock;
# any other failure (network, disk, a bad download) is the answer.
grep -Eq 'HTTP (404|410)' "$ERR" || exit 1
echo "example-fetch: a locked package has left the mirror (a Debian point release" \
	"removes the previous versions): locking again" >&2
"$KILN" lock "$CFG"
"$KILN" fetch --cache "$STORE" "$CFG"
echo "example-fetch: examples/$EX/kiln.lock was updated: commit it" >&2
