# A gzip'd cpio's size is planned by compressing it; with the store, a
# warm setup takes the size from the store instead (gdb: deflate is
# never called by `kiln plan`), a changed file compresses again, and the
# built archive equals a --no-cache build's.
. "$KILN_TESTLIB"
need gdb cpio gzip
mkdir -p src/bin
head -c 200000 /dev/urandom >src/bin/tool
echo one >src/motd
printf 'image i.cpio.gz {\n\tcpio { compress = "gzip" }\n\tsrcpath = "src"\n}\n' >i.cfg

# deflates CMD...: how many times CMD stopped in zlib's deflate (0 or 1:
# gdb stops at the first call; "Thread N hit" once kiln has started a
# thread, as it does to hash inputs with -j > 1).
deflates() {
	ASAN_OPTIONS=detect_leaks=0 gdb -nx -batch -ex 'set breakpoint pending on' \
		-ex 'break deflate' -ex run --args "$@" 2>&1 | grep -cE '^(Thread .* hit )?Breakpoint 1, ' || true
}
[ "$(deflates "$KILN" plan --no-cache i.cfg)" = 1 ] || fail "the oracle: plan --no-cache does not deflate"
"$KILN" build --outputpath a --tmppath t i.cfg >a.log 2>&1 || { cat a.log; fail "cold build"; }
[ "$(deflates "$KILN" plan i.cfg)" = 0 ] || fail "a warm plan compressed the archive again"
echo two >src/motd
[ "$(deflates "$KILN" plan i.cfg)" = 1 ] || fail "a changed file: the size was not measured again"
"$KILN" build --outputpath b --tmppath t i.cfg >b.log 2>&1 || { cat b.log; fail "build after a change"; }
"$KILN" build --outputpath c --tmppath t i.cfg >c.log 2>&1 || { cat c.log; fail "warm build"; }
"$KILN" build --no-cache --outputpath r --tmppath t i.cfg >r.log 2>&1 || { cat r.log; fail "build without the store"; }
cmp b/i.cpio.gz r/i.cpio.gz || fail "after a change: differs from a build without the store"
cmp c/i.cpio.gz r/i.cpio.gz || fail "warm: differs from a build without the store"
gzip -dc c/i.cpio.gz | cpio -it 2>/dev/null | grep -qx motd || fail "the archive lacks motd"
echo "cpio-size: ok"
