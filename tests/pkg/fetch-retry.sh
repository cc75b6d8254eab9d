# `kiln fetch` against a mirror that misbehaves, served by a real HTTP
# server (tests/pkg/mirror.py): busy twice (503, Retry-After) then fine; a transfer
# that stalls mid-body longer than the stall limit, then resumes with
# Range; one that stalls and then ignores Range (200, the whole file).
# Each ends with every package in the store, verified (kiln's own SHA-256
# check, and cmp against the repository). A server that always stalls, or
# is always busy: one clear line naming the URL, bounded in time (the
# stall limit and the retries; `timeout` would turn a hang into a
# failure), nothing in the store.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need timeout

mkkey
# Packages of several write callbacks each (random bytes do not compress).
for p in big:700000 mid:300000; do
	name=${p%%:*}
	mkpkg "$name" 1 arm64
	head -c "${p#*:}" /dev/urandom >"$T/src/$name-1-arm64/usr/share/kiln-test/blob"
	dpkg-deb --root-owner-group -Zgzip --build "$T/src/$name-1-arm64" \
		"$T/repo/pool/main/${name}_1_arm64.deb" >/dev/null
done
mkindex
serve "$T/repo"
{ repo_config; cat <<EOF; } >kiln.cfg
tree root { layer { packages = { "big", "mid" } } }
image root.ext4 { ext4 { } size = 8M tree = root }
EOF
"$KILN" lock kiln.cfg || fail "kiln lock"
cp kiln.lock good.lock

PIDS=
trap 'kill $HTTP_PID $PIDS 2>/dev/null || true; rm -rf "$T"' EXIT
# start_server MODE: serves the repository; kiln.lock points at it.
start_server() {
	start_pyserver "$1"
	eval "PIDS=\"\$PIDS \$${1}_pid\""
	sed "s|^repository debian http://[^ ]*|repository debian http://127.0.0.1:$(cat "$T/$1.port")|" \
		good.lock >kiln.lock
}
export KILN_NET_STALL_SECONDS=2
# fetch_ok MODE: a store of its own holding exactly the two .debs.
fetch_ok() {
	local store=$T/store-$1 f
	KILN_CACHE=$store timeout 300 "$KILN" fetch --retries 3 kiln.cfg 2>"$T/$1.err" ||
		{ cat "$T/$1.err" "$T/$1.log" >&2; fail "$1: kiln fetch failed"; }
	grep -q '2 packages downloaded' "$T/$1.err" || fail "$1: $(cat "$T/$1.err")"
	[ "$(find "$store/cas" -type f | wc -l)" = 2 ] || fail "$1: store does not hold 2 blobs"
	for f in "$T"/repo/pool/main/*.deb; do
		find "$store/cas" -type f -exec cmp -s {} "$f" \; -print | grep -q . ||
			fail "$1: $(basename "$f") is not in the store whole"
	done
}

# (a) 503 twice (Retry-After: 1), then the file.
start_server busy
fetch_ok busy
[ "$(grep -c '^GET /pool/main/big_1_arm64.deb' "$T/busy.log")" = 3 ] ||
	fail "busy: expected 3 requests for big: $(cat "$T/busy.log")"

# (b) stalls half-way for longer than the stall limit; the retry resumes.
start_server stall
fetch_ok stall
grep -q '^RANGE /pool/main/big_1_arm64.deb [1-9]' "$T/stall.log" ||
	fail "stall: no resuming Range request: $(cat "$T/stall.log")"

# (c) stalls, then answers the Range request with 200 and the whole
# file: read again from the start, within the same retries (--retries 1:
# the stall uses the only retry).
start_server norange
KILN_CACHE=$T/store-norange timeout 300 "$KILN" fetch --retries 1 kiln.cfg 2>"$T/norange.err" ||
	{ cat "$T/norange.err" "$T/norange.log" >&2; fail "norange: kiln fetch failed"; }
grep -q '^GET /pool/main/big_1_arm64.deb 2 bytes=[1-9]' "$T/norange.log" ||
	fail "norange: no Range request: $(cat "$T/norange.log")"
grep -q '^GET /pool/main/big_1_arm64.deb 3 -$' "$T/norange.log" ||
	fail "norange: not started over without Range: $(cat "$T/norange.log")"
for f in "$T"/repo/pool/main/*.deb; do
	find "$T/store-norange/cas" -type f -exec cmp -s {} "$f" \; -print | grep -q . ||
		fail "norange: $(basename "$f") is not in the store whole"
done

# (d) always stalls: after the last retry, one line naming the URL.
start_server dead
port=$(cat "$T/dead.port")
KILN_CACHE=$T/store-dead expect_fail 1 \
	"^kiln: error: http://127.0.0.1:$port/pool/main/(big|mid)_1_arm64.deb: .*(too slow|timed out).* \(2 attempts\)\$" \
	timeout 300 "$KILN" fetch --retries 1 kiln.cfg
[ "$(wc -l <"$T/.err")" = 1 ] || { cat "$T/.err"; fail "dead: more than one line"; }
[ -z "$(find "$T/store-dead/cas" -type f 2>/dev/null)" ] || fail "dead: something entered the store"
[ -z "$(find "$T/store-dead/tmp" -type f 2>/dev/null)" ] || fail "dead: temporaries left"

# (e) always busy: the same, with the status.
ALWAYS=1 start_server busy
port=$(cat "$T/busy.port")
KILN_CACHE=$T/store-busy2 expect_fail 1 \
	"^kiln: error: http://127.0.0.1:$port/pool/main/(big|mid)_1_arm64.deb: HTTP 503 \(3 attempts\)\$" \
	timeout 300 "$KILN" fetch --retries 2 kiln.cfg
[ -z "$(find "$T/store-busy2/cas" -type f 2>/dev/null)" ] || fail "busy: something entered the store"
exit 0
