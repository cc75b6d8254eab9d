# A config cut short never builds and never crashes. The example configs
# (examples/rpi3: kiln.cfg and virt.cfg, both including common.cfg) are
# cut after every line and at 200 byte offsets. Where the cut falls inside
# a section, list, string or comment (told by an independent tokenizer
# below), kiln must exit 1 naming the cut file and a line in it. Where it
# falls between two complete top-level statements the text is a valid,
# shorter config: kiln may accept it, but must still not crash.
# `kiln plan` is used for every cut (same parse); `kiln build` for a
# sample, which must fail the same way and leave no output.
. "$KILN_TESTLIB"
need python3
EX=$KILN_SRC/examples/rpi3
# The test's store is empty: a complete config fails on its packages, fast.

# cuts.py writes each cut as a directory cuts/NNNN holding the three
# files, one of them cut, and prints a line per cut:
# "FILE TOP KIND DIR WHERE LINES". WHERE is "inside" when the text
# ends inside a section, list, include( ), string or comment, else "top"; this
# tokenizer is the test's own, after libconfuse's rules: # and // to end
# of line, /* */, "..." and '...' with backslash escapes, ${...}.
cat >cuts.py <<'PY'
import os, sys
def where(t):
    i, n, depth = 0, len(t), 0
    while i < n:
        c = t[i]
        if c == '#' or t.startswith('//', i):
            j = t.find('\n', i)
            i = n if j < 0 else j
            continue
        if t.startswith('/*', i):
            j = t.find('*/', i + 2)
            if j < 0:
                return "inside"
            i = j + 2; continue
        if t.startswith('${', i) and '}' in t[i:]:
            i = t.index('}', i) + 1; continue
        if c in '"\'':
            q, i = c, i + 1
            while i < n and t[i] != q:
                if q == '"' and t.startswith('${', i) and '}' in t[i:]:
                    i = t.index('}', i) + 1; continue
                i += 2 if t[i] == '\\' else 1
            if i >= n:
                return "inside"
        elif c in '{(':
            depth += 1
        elif c in '})':
            depth -= 1
        i += 1
    return "inside" if depth > 0 else "top"
ex = sys.argv[1]
names = ("kiln.cfg", "virt.cfg", "common.cfg")
orig = {f: open(os.path.join(ex, f), encoding="latin-1", newline="").read() for f in names}
k = 0
for f, top in (("kiln.cfg", "kiln.cfg"), ("virt.cfg", "virt.cfg"), ("common.cfg", "kiln.cfg")):
    t = orig[f]
    lines = t.split("\n")
    cuts = [("line", "\n".join(lines[:n]) + ("\n" if n else "")) for n in range(len(lines) - 1)]
    # byte offsets: deterministic, spread over the file (67 a file, 201 in all)
    cuts += [("byte", t[:(j * 7919 + 13) % len(t)]) for j in range(67)]
    for kind, c in cuts:
        d = "cuts/%04d" % k
        k += 1
        os.makedirs(d)
        for g in names:
            open(os.path.join(d, g), "w", encoding="latin-1", newline="").write(c if g == f else orig[g])
        print(f, top, kind, d, where(c), c.count("\n") + 1)
PY

runs=0 builds=0 inside=0 n=0
python3 cuts.py "$EX" >cuts.txt
while read -r f top kind dir where lines; do
	n=$((n + 1))
	[ "$where" = top ] || inside=$((inside + 1))
	for how in plan build; do
		# build on a sample: the same verdict, and nothing written
		[ "$how" = plan ] || [ $((n % 12)) = 5 ] || continue
		rc=0
		cd "$T/$dir"
		"$KILN" $how --outputpath out "$top" >/dev/null 2>err.txt || rc=$?
		cd "$T"
		mapfile -t err <"$dir/err.txt"
		runs=$((runs + 1))
		what="$f cut ($kind, $dir, $how)"
		[ "$rc" -lt 128 ] || { cat "$dir/err.txt"; fail "$what: killed by a signal (exit $rc)"; }
		[[ "${err[*]}" != *Sanitizer* && "${err[*]}" != *"runtime error"* ]] ||
			{ cat "$dir/err.txt"; fail "$what: sanitizer report"; }
		if [ "$rc" != 0 ]; then
			[ "$rc" = 1 ] || { cat "$dir/err.txt"; fail "$what: exit $rc"; }
			e=0
			for x in "${err[@]}"; do [[ "$x" != "kiln: error: "* ]] || e=$((e + 1)); done
			[ "$e" = 1 ] || { cat "$dir/err.txt"; fail "$what: $e error lines"; }
			[ ! -d "$dir/out" ] || [ -z "$(ls -A "$dir/out")" ] || fail "$what: output left behind"
		fi
		[ "$where" = inside ] || continue
		[ "$rc" = 1 ] || { cat "$dir/err.txt"; fail "$what: cut inside a section/string/comment accepted"; }
		# The cut file, and a line that exists in it.
		[[ "${err[*]}" =~ (^|[ /])$f:([0-9]+): ]] || { cat "$dir/err.txt"; fail "$what: message names no $f:LINE"; }
		l=${BASH_REMATCH[2]}
		[ "$l" -ge 1 ] && [ "$l" -le "$lines" ] || { cat "$dir/err.txt"; fail "$what: line $l of $lines"; }
		[ "$how" = plan ] || builds=$((builds + 1))
	done
done <cuts.txt
lines=$(cat "$EX/kiln.cfg" "$EX/virt.cfg" "$EX/common.cfg" | wc -l)
[ "$n" = $((lines + 201)) ] || fail "$n cuts, expected every line and 201 offsets"
# The sample really exercises the "inside" case, a lot, builds included.
[ "$inside" -gt 300 ] && [ "$builds" -gt 20 ] || fail "only $inside cuts inside ($builds builds)"
echo "truncate: ok ($n cuts, $runs runs, $inside inside, $builds builds inside)"
