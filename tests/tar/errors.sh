# tar: bad inputs fail in a controlled way: one line naming the config
# and the image, exit 1, no output left.
. "$KILN_TESTLIB"
mkdir -p src/d
head -c 100000 /dev/urandom > src/d/blob
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
run() { expect_fail 1 "$1" "$KILN" build --outputpath out --tmppath tmp "$2"; one_line "$2"; expect_no_output out; }

printf 'image r.tar.lz {\n\ttar { }\n\tsrcpath = "src"\n}\n' > lz.cfg
run "lz.cfg:[0-9]+: image 'r.tar.lz': \".tar.lz\" compression \(from the image name\) is not one kiln writes" lz.cfg
printf 'image r.tar.Z {\n\ttar { }\n\tsrcpath = "src"\n}\n' > z.cfg
run '".tar.Z" compression .from the image name. is not one kiln writes' z.cfg
printf 'image r.tar {\n\ttar { }\n\tsrcpath = "src"\n\tsize = 10k\n}\n' > small.cfg
run 'tar archive needs [0-9]+ bytes, size is 10240' small.cfg
printf 'image r.tar {\n\ttar { compress = "gzip" }\n\tsrcpath = "src"\n}\n' > opt.cfg
run "no such option 'compress'" opt.cfg
printf 'image r.tar {\n\ttar { }\n\tsrcpath = "missing"\n}\n' > missing.cfg
run 'missing' missing.cfg
echo ok
