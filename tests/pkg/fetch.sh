# `kiln fetch` puts exactly the locked .debs into the store, verified;
# `kiln build` of a package layer reads them from there (never the
# network) and the ext4 holds the packages' files (debugfs); `kiln ls`
# names the package of each file (`--packages`: NAME=VERSION). A missing
# lock, a stale lock, a package not fetched, a modified .deb, a server
# that is gone or stops mid-download: each one clear error, nothing
# partial in the store.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/pkg/repo.inc"
need debugfs e2fsck

mkkey
mkpkg hello 1.0 arm64 "Depends: libhello"
mkpkg libhello 2 arm64
mkpkg extra 1 all
mkindex
serve "$T/repo"
{ repo_config; cat <<EOF; } >kiln.cfg
tree root { layer { packages = { "hello" } } file /etc/motd { content = "hi" } }
image root.ext4 { ext4 { } size = 8M tree = root }
EOF
blobs() { find "$KILN_CACHE/cas" -type f 2>/dev/null | wc -l; }
build() { "$KILN" build --tmppath tmp --outputpath images "$@" kiln.cfg; }

# No lock yet.
expect_fail 1 'kiln.lock: not found: .*run `kiln lock`' build
expect_fail 1 'kiln.lock.*run `kiln lock` first' "$KILN" fetch kiln.cfg
"$KILN" lock kiln.cfg || fail "kiln lock"
# Locked but not fetched: the build names the package.
expect_fail 1 "package (hello 1.0|libhello 2) .* is not in the store; run \`kiln fetch\`" build
expect_no_output images

# A server that stops half-way through every file ("half"), or only the
# first time and then honours Range ("resume").
start_pyserver half
start_pyserver resume
trap 'kill $HTTP_PID $half_pid $resume_pid 2>/dev/null || true; rm -rf "$T"' EXIT
cp kiln.lock good.lock
at() { sed "s|^repository debian http://[^ ]*|repository debian http://127.0.0.1:$1|" good.lock >kiln.lock; }

# Stopping mid-download every time: nothing enters the store.
half=$(cat "$T/half.port")
at "$half"
expect_fail 1 "http://127.0.0.1:$half/pool/main/.*\.deb: .*transfer closed with [0-9]+ bytes remaining" \
	"$KILN" fetch --retries 2 kiln.cfg
[ "$(blobs)" = 0 ] || fail "a partial download entered the store"
[ -z "$(ls -A "$KILN_CACHE/tmp" 2>/dev/null)" ] || fail "temporaries left in the store"
kill $half_pid

# Stopping once: the retry resumes with a Range request (in a store of
# its own) and the result is verified whole.
at "$(cat "$T/resume.port")"
KILN_CACHE=$T/cache2 "$KILN" fetch --retries 1 kiln.cfg || fail "fetch did not resume"
grep -q '^RANGE /pool/main/hello_1.0_arm64.deb [1-9]' "$T/resume.log" || fail "no Range request"
[ "$(find "$T/cache2/cas" -type f | wc -l)" = 2 ] || fail "resumed downloads not in the store"
kill $resume_pid

# A server that is gone (a closed port).
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
at "$closed"
expect_fail 1 "http://127.0.0.1:$closed/pool/main/.*\.deb: .*(connect|refused)" \
	"$KILN" fetch --retries 0 kiln.cfg
[ "$(blobs)" = 0 ] || fail "store changed"

# A modified .deb on the server: refused, not stored.
cp good.lock kiln.lock
cp "$T/repo/pool/main/hello_1.0_arm64.deb" hello.deb.saved
python3 - "$T/repo/pool/main/hello_1.0_arm64.deb" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[-10] ^= 0xff
open(p, 'wb').write(b)
PY
expect_fail 1 'hello_1.0_arm64.deb: SHA-256 differs from kiln.lock' "$KILN" fetch --parallel 1 kiln.cfg
! find "$KILN_CACHE/cas" -type f -exec cmp -s {} "$T/repo/pool/main/hello_1.0_arm64.deb" \; -print | grep -q . ||
	fail "the modified .deb entered the store"
cp hello.deb.saved "$T/repo/pool/main/hello_1.0_arm64.deb"

# The real thing.
"$KILN" fetch kiln.cfg || fail "kiln fetch"
[ "$(blobs)" = 2 ] || fail "expected 2 blobs, got $(blobs)"
"$KILN" fetch kiln.cfg 2>fetch2.err || fail "kiln fetch (again)"
grep -q '0 packages downloaded' fetch2.err || fail "fetched again what the store has"
# No network from here on: the server is gone.
kill $HTTP_PID
build || fail "kiln build"
e2fsck -fn images/root.ext4 >/dev/null || fail "e2fsck"
for p in "hello 1.0" "libhello 2"; do
	set -- $p
	got=$(debugfs -R "cat /usr/share/kiln-test/$1" images/root.ext4 2>/dev/null)
	[ "$got" = "$1 $2" ] || fail "/usr/share/kiln-test/$1: '$got'"
	st=$(debugfs -R "stat /usr/bin/$1" images/root.ext4 2>/dev/null)
	[[ $st == *"Mode:  0755"* ]] || fail "/usr/bin/$1: mode"
done
st=$(debugfs -R "stat /usr/share/kiln-test/extra" images/root.ext4 2>&1)
[[ $st != *Inode:* ]] || fail "a package that was not asked for is in the image"
# kiln ls: the layer of each file is its package.
"$KILN" ls --tmppath tmp kiln.cfg root.ext4 >ls.txt || fail "kiln ls"
layer_of() { awk -F'\t' -v p="$1" '$6 == p { print $8 }' ls.txt; }
[ "$(layer_of /usr/bin/hello)" = "hello 1.0 arm64 (debian)" ] || { cat ls.txt; fail "ls: package of /usr/bin/hello"; }
[ "$(layer_of /usr/share/kiln-test/libhello)" = "libhello 2 arm64 (debian)" ] ||
	fail "ls: package of libhello's file"
# kiln ls --packages: one more column, NAME=VERSION (or - when no package).
"$KILN" ls --packages --tmppath tmp kiln.cfg root.ext4 >lsp.txt || fail "kiln ls --packages"
pkg_of() { awk -F'\t' -v p="$1" '$6 == p { print $10 }' lsp.txt; }
[ "$(pkg_of /usr/bin/hello)" = "hello=1.0" ] || { cat lsp.txt; fail "ls --packages: /usr/bin/hello"; }
[ "$(pkg_of /usr/share/kiln-test/libhello)" = "libhello=2" ] || fail "ls --packages: libhello's file"
[ "$(pkg_of /etc/motd)" = "-" ] || fail "ls --packages: /etc/motd came from no package"
awk -F'\t' 'NF != 10 { exit 1 }' lsp.txt || fail "ls --packages: not 10 columns everywhere"
awk -F'\t' 'NF != 9 { exit 1 }' ls.txt || fail "ls: not 9 columns without --packages"

# Changing the request: build and fetch refuse until `kiln lock`.
sed -i 's/packages = { "hello" }/packages = { "hello", "extra" }/' kiln.cfg
expect_fail 1 'kiln.lock is stale: .*run `kiln lock`' build
expect_fail 1 'kiln.lock is stale: .*run `kiln lock`' "$KILN" fetch kiln.cfg

# A .deb corrupted in the store is not used, when a build reads it (its
# decoded layer, which the build above kept, is not replayed with
# KILN_ARCHIVE_NOCACHE).
sed -i 's/packages = { "hello", "extra" }/packages = { "hello" }/' kiln.cfg
h=$(awk '$1 == "package" && $2 == "hello" { print $7 }' kiln.lock)
f=$KILN_CACHE/cas/${h:0:2}/$h
[ -f "$f" ] || fail "hello's .deb is not in the store"
chmod u+w "$f" "$(dirname "$f")"
printf 'x' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
rm -rf images
KILN_ARCHIVE_NOCACHE=1 expect_fail 1 'is not in the store; run `kiln fetch`' build
exit 0
