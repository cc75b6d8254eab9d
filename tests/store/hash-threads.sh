# With -j N and a store, a cold build hashes the input files of a tree's
# key on N threads before walking the tree (store_file_hash_many), and
# the walk finds every hash in the stat index: each input is read once,
# and the key, so the store's entries, are those of a -j 1 build.
. "$KILN_TESTLIB"
need strace python3
mkdir src
python3 -c '
import os, random
r = random.Random(5)
for i in range(300):
    open("src/f%03d" % i, "wb").write(r.randbytes(r.randrange(1, 40000)))
'
# Older than the racy-git margin, so a hash taken now is trusted.
touch -d '2020-01-01' src/*
printf 'image r.ext4 { ext4 { } srcpath = "src" size = 24M }\n' >r.cfg
trace() {
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=read,pread64 -o "$1.trace" \
		"$KILN" build -j "$2" --cache "$T/$1.store" --outputpath "$1" --tmppath "$1.tmp" r.cfg \
		>"$1.log" 2>&1 || { cat "$1.log"; fail "build $1"; }
}
trace j2 2
trace j1 1
cmp j1/r.ext4 j2/r.ext4 || fail "-j 1 and -j 2 images differ"
python3 - j1.trace j2.trace <<'PY' || fail "inputs were not hashed on threads"
import collections, re, sys
def readers(path):
    # per input file: the thread of its first read (the key's hash, before
    # any image is written), and how many reads returned bytes
    first, n = {}, collections.Counter()
    for line in open(path):
        m = re.match(r'(\d+) +p?read(?:64)?\(\d+</[^>]*/src/(f\d+)>.*\) = (\d+)$', line)
        if m and int(m.group(3)) > 0:
            first.setdefault(m.group(2), m.group(1))
            n[m.group(2)] += 1
    return first, n
w1, n1 = readers(sys.argv[1])
w2, n2 = readers(sys.argv[2])
if len(w2) != 300:
    sys.exit("-j 2: %d input files read, expected 300" % len(w2))
if len(set(w1.values())) != 1:
    sys.exit("-j 1: inputs hashed by more than one thread")
if len(set(w2.values())) < 2:
    sys.exit("-j 2: every input was hashed by one thread")
# Hashed once (on some thread) and written once: no file read more often
# than with -j 1.
more = [f for f in n2 if n2[f] > n1[f]]
if more:
    sys.exit("-j 2 read %d files more often than -j 1 (e.g. %s)" % (len(more), more[0]))
PY
# The keys are the same: a -j 1 build over the -j 2 store is all hits.
"$KILN" build -j 1 --explain --cache "$T/j2.store" --outputpath again --tmppath again.tmp r.cfg >again.log 2>&1 ||
	{ cat again.log; fail "build again"; }
grep -q "r.ext4: from the build cache" again.log || { cat again.log; fail "-j 1 missed the -j 2 store"; }
echo "hash-threads: ok"
