#!/bin/sh
# The example's packages (examples/rpi3/kiln.lock) into a store:
#   scripts/example-fetch.sh KILN STORE
# The committed lock names exact versions. When Debian publishes a point
# release, the kernel (and other updated packages) of the old one leave the
# mirror's pool, and no snapshot archive is reachable from CI: then the
# fetch fails and the lock is made again from the mirror as it is now
# (`kiln lock`, which rewrites examples/rpi3/kiln.lock: commit it), then
# fetched. Serialised with the tests that fetch (flock on STORE.lock).
set -eu
KILN=$1
STORE=$2
case $KILN in /*) ;; *) KILN=$(pwd)/$KILN ;; esac
case $STORE in /*) ;; *) STORE=$(pwd)/$STORE ;; esac
CFG=kiln.cfg
cd "$(dirname "$0")/../examples/rpi3" # include("common.cfg") is relative to it
mkdir -p "$STORE"
exec 9>"$STORE.lock"
flock 9
"$KILN" fetch --cache "$STORE" "$CFG" && exit 0
echo "example-fetch: the locked packages could not be fetched (a Debian point release" \
	"removes the previous versions from the mirror): locking again" >&2
"$KILN" lock "$CFG"
"$KILN" fetch --cache "$STORE" "$CFG"
echo "example-fetch: examples/rpi3/kiln.lock was updated: commit it" >&2
