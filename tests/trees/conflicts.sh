# conflicts = error | keep-first | replace, per tree and per layer; the
# error names the path and both layers; directories always merge.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3 cpio
mkdir -p input/one/etc input/two/etc input/two/usr
echo first >input/one/etc/a
echo only-one >input/one/etc/b
echo second >input/two/etc/a
echo only-two >input/two/usr/c
make_tar input/three.tar '[{"name": "etc/a", "data": "third\n", "uid": 7}]'

cfg() { # POLICY [LAYER3-POLICY]
	cat >kiln.cfg <<CFG
tree t {
	conflicts = $1
	layer { dir = "one" }
	layer { dir = "two" }
	layer { archive = "three.tar" ${2:+conflicts = $2} }
}
image x.cpio { cpio { } tree = t }
CFG
}
content() { # PATH: the file's bytes in the built cpio
	rm -rf x && mkdir x && (cd x && cpio -id --no-absolute-filenames <../out/x.cpio 2>/dev/null) && cat "x/$1"
}
run() { "$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg >/dev/null; }

cfg error
expect_fail 1 '"/etc/a": provided by both dir "one" \(kiln.cfg:3\) and dir "two" \(kiln.cfg:4\)' run
expect_no_output out

cfg keep-first
run || fail "keep-first"
[ "$(content etc/a)" = first ] || fail "keep-first kept $(content etc/a)"
[ "$(content etc/b)" = only-one ] && [ "$(content usr/c)" = only-two ] || fail "directories did not merge"

cfg replace
run || fail "replace"
[ "$(content etc/a)" = third ] || fail "replace gave $(content etc/a)"
"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt
expect_ls ls.txt /etc/a - 0644 7:0 6
lsent ls.txt /etc/a | grep -q 'archive "three.tar" (kiln.cfg:5)' || fail "providing layer"

# A layer may override the tree's policy.
cfg keep-first error
expect_fail 1 '"/etc/a": provided by both dir "one" \(kiln.cfg:3\) and archive "three.tar" \(kiln.cfg:5\)' run
cfg keep-first replace
run && [ "$(content etc/a)" = third ] || fail "layer replace"

# Inline files and trees listed together follow the same rules.
cat >kiln.cfg <<'CFG'
tree base { layer { dir = "one" } }
tree extra { file /etc/a { content = "inline\n" } }
image x.cpio { cpio { } tree = { base, extra } }
CFG
expect_fail 1 '"/etc/a": provided by both dir "one" \(kiln.cfg:1\) and tree extra \(kiln.cfg:2\)' run
sed -i 's/^tree extra {/tree extra { conflicts = replace/' kiln.cfg
run && [ "$(content etc/a)" = inline ] || fail "second tree replace"

# A file replacing a directory (replace) takes its subtree with it.
mkdir -p input/four/etc/a.d && echo x >input/four/etc/a.d/f
cat >kiln.cfg <<'CFG'
tree t {
	conflicts = replace
	layer { dir = "four" }
	file /etc/a.d { content = "now a file\n" }
}
image x.cpio { cpio { } tree = t }
CFG
run && [ "$(content etc/a.d)" = "now a file" ] || fail "file replacing a directory"
