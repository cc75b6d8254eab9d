# Config mistakes in trees fail with a message naming file:line and the
# value, exit 1, no output left; the plain-password warning.
. "$KILN_TESTLIB"
mkdir -p input/d
echo x >input/d/f

check() { # REGEX CONFIG-BODY
	printf '%s\nimage x.cpio { cpio { } tree = t }\n' "$2" >kiln.cfg
	chmod 600 kiln.cfg
	expect_fail 1 "$1" "$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg
	expect_no_output out
	[ -z "$(ls tmp 2>/dev/null)" ] || fail "spill file left behind"
}

check 'image .x.cpio.: tree "t" is not defined' 'tree other { }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?conflicts = "sometimes": expected error, keep-first or replace' 'tree t { conflicts = sometimes }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?tree .t.: a layer has one source' 'tree t { layer { dir = "d" archive = "a.tar" } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?file "/etc/x": give exactly one of content or source' 'tree t { file /etc/x { } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?mode = "rw": expected an octal mode' 'tree t { file /etc/x { content = "" mode = "rw" } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?mode = "0888": expected an octal mode' 'tree t { mkdir /x { mode = 0888 } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?/etc/x: \$\{NOPE_NOT_SET\} is not defined' 'tree t { file /etc/x { content = "a \${NOPE_NOT_SET} b" } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?/etc/x: malformed variable reference' 'tree t { file /etc/x { content = "a \${unterminated" } }'
check 'vars = "novalue": expected NAME=value' 'vars = { "novalue" } tree t { }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?type = "pipe": expected char, block, fifo or socket' 'tree t { node /dev/x { type = pipe } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?minor = "2000000": expected 0..1048575' 'tree t { node /dev/x { type = char minor = 2000000 } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?symlink "/x": target is required' 'tree t { symlink /x { } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?hardlink "/x": .*target "nothere" does not exist' 'tree t { hardlink /x { target = "nothere" } }'
check 'mkdir "../x": expected a path inside the tree' 'tree t { mkdir "../x" { } }'
check 'user bob: give password or password-hash, not both' 'tree t { user bob { password = "a" password-hash = "b" } }'
check 'home = "/a:b": .:. and newlines are not allowed' 'tree t { user bob { home = "/a:b" } }'
check 'user "a:b": not a valid user name' 'tree t { user "a:b" { } }'
check 'rounds = "10": expected 1000..999999999' 'tree t { user bob { password = "x" rounds = 10 } }'
check 'user bob: group "video" does not exist' 'tree t { user bob { groups = { "video" } } }'
check 'uid = "-5": expected 0..4294967294' 'tree t { user bob { uid = -5 } }'
check 'input/nothere: No such file or directory' 'tree t { layer { dir = "nothere" } }'
check 'source input/none.txt: No such file' 'tree t { file /x { source = "none.txt" } }'
check 'subdir = "../d": expected a relative path' 'tree t { layer { dir = "d" subdir = "../d" } }'
check 'attr "x": sets nothing' 'tree t { attr "x" { } }'
check 'capabilities = "cap_net_raw": expected a 64-bit mask' 'tree t { attr "x" { capabilities = "cap_net_raw" } }'
check 'kiln.cfg:1: (image [^ ]+: )?(tree [^ ]+: )?file "/x/y": path "/x/y": "/x" is not a directory' 'tree t { file /x { content = "" } file /x/y { content = "" } }'

# A plain password in a config others can read: warning, build continues.
cat >kiln.cfg <<'CFG'
tree t { user bob { password = "hunter2" } }
image x.cpio { cpio { } tree = t }
CFG
chmod 644 kiln.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg 2>err.txt || { cat err.txt; fail "build"; }
grep -q 'kiln.cfg:1: user bob: plain password in a file others can read' err.txt || fail "no password warning"
chmod 600 kiln.cfg
"$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg 2>err.txt
if grep -q 'plain password' err.txt; then fail "warned for a private config"; fi

# kiln ls usage errors.
expect_fail 2 'expected \[CONFIG\] IMAGE' "$KILN" ls
expect_fail 1 'no image named "nope"' "$KILN" ls --inputpath input kiln.cfg nope

rm -rf out tmp
# An unusable tmppath (the spill file's home) is a clear error.
mkdir -p input && printf 'a\n' >input/a.txt
python3 -c "
import tarfile
with tarfile.open('input/a.tar', 'w') as t: t.add('input/a.txt', 'a.txt')"
cat >kiln.cfg <<'CFG'
tree t { layer { archive = "a.tar" } }
image x.cpio { cpio { } tree = t }
CFG
: >notadir
expect_fail 1 'notadir/sub: cannot create tmppath' "$KILN" build --inputpath input --tmppath notadir/sub --outputpath out kiln.cfg
expect_no_output out
# kiln plan composes the tree too (sizes) and leaves nothing behind.
"$KILN" plan --inputpath input --tmppath tmp --outputpath out kiln.cfg >plan.txt || fail "plan"
grep -q 'image x.cpio' plan.txt || fail "plan output"
expect_no_output out
[ -z "$(ls tmp 2>/dev/null)" ] || fail "plan left a spill file"
