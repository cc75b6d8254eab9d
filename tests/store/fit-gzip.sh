# A FIT's gzip'd kernel is looked up in the store by the kernel file's
# stat data (the stat index): a no-op rebuild reads no byte of it; a
# changed kernel is read, compressed again, and the FIT equals a build
# without the store.
. "$KILN_TESTLIB"
need strace python3
mkdir -p input
python3 -c '
import random
r = random.Random(12)
open("input/Image", "wb").write(bytes(r.choice(b"kiln ") for _ in range(3 << 20)))
'
touch -d @1600000000 input/Image # older than the racy-git window
cat >f.cfg <<'C'
image kernel.itb {
	fit {
		image kernel { data = "Image" type = "kernel" arch = "arm64" os = "linux" gzip = true load = 0x200000 entry = 0x200000 }
		configuration c { kernel = "kernel" }
	}
}
C
build() {
	local n=$1
	shift
	"$KILN" build --inputpath input --outputpath "$n" --tmppath "$n.tmp" "$@" f.cfg \
		>"$n.log" 2>&1 || { cat "$n.log"; fail "build $n"; }
}
build cold
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=read,pread64,mmap,copy_file_range -o warm.txt \
	"$KILN" build --inputpath input --outputpath warm --tmppath warm.tmp f.cfg >warm.log 2>&1 ||
	{ cat warm.log; fail "warm build"; }
if grep -q 'input/Image>' warm.txt; then
	grep 'input/Image>' warm.txt | head -3
	fail "a no-op rebuild read the kernel again to find its gzip'd payload"
fi
cmp cold/kernel.itb warm/kernel.itb || fail "the warm FIT differs from the cold one"
# Same size and mtime, new bytes: the ctime gives it away.
python3 -c '
f = open("input/Image", "r+b"); f.write(b"changed!"); f.close()'
touch -d @1600000000 input/Image
build changed
build ref --no-cache
cmp changed/kernel.itb ref/kernel.itb || fail "after a kernel change the FIT differs from a build without the store"
cmp -s cold/kernel.itb changed/kernel.itb && fail "the changed kernel was not compressed again"
echo "fit-gzip: ok"
