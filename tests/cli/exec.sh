# exec-pre / exec-post run through /bin/sh with genimage's variables;
# a failing hook fails the build and leaves no output.
. "$KILN_TESTLIB"
mkdir -p input root
printf 'hello' > input/data.bin
cat > c.cfg <<'CFG'
image out.bin {
  exec-pre = "echo pre $IMAGE $IMAGENAME $INPUTPATH $OUTPUTPATH $ROOTPATH $TMPPATH > pre.txt"
  exec-post = "echo post $IMAGEOUTFILE $IMAGESIZE $IMAGEMOUNTPOINT. > post.txt; test -f \"$IMAGEOUTFILE\""
  name = "nm"
  file { name = "data.bin" }
}
CFG
"$KILN" build c.cfg 2>/dev/null
[ "$(cat pre.txt)" = "pre out.bin nm input images root tmp" ] || fail "exec-pre env: $(cat pre.txt)"
[ "$(cat post.txt)" = "post images/out.bin 5 ." ] || fail "exec-post env: $(cat post.txt)"
cat > f.cfg <<'CFG'
image bad.bin {
  exec-post = "exit 3"
  file { name = "data.bin" }
}
CFG
expect_fail 1 "exec-post \"exit 3\" exited with status 3" "$KILN" build --outputpath o f.cfg
# A path with a quote in it must not break anything (no string handed to a shell).
mkdir -p "in'q"; printf 'q' > "in'q/data.bin"
"$KILN" build --inputpath "in'q" --outputpath "out'q" c.cfg 2>/dev/null
[ "$(cat "out'q/out.bin")" = q ] || fail "quote in path"
echo "exec: ok"
