# The static kiln runs the CLI in a chroot holding only itself and the
# inputs (no /etc, /usr, /proc, NSS modules, locale or gconv files), with
# an empty environment: plan, build (GPT + FAT + ext4 + env + cpio, a tar
# layer with non-ASCII names, FAT long names), ls, inspect, bmap, the
# genimage name, and error cases. Each run's exit code, stdout, stderr and
# output files equal the dynamic kiln's on the same tree outside, and
# (strace) the static kiln touches no absolute path but libcrypto's config,
# /proc/self/exe and glibc's gconv configuration (all absent): no NSS,
# locale, gconv module or shared library is loaded; only a
# config path starting with '~' reads /etc/nsswitch.conf and /etc/passwd
# (libconfuse's tilde expansion, glibc's built-in "files" service).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/nix/lib-nix.inc"
[ "$(id -u)" = 0 ] || skip "chroot needs root (uid $(id -u))"
need chroot python3 fsck.fat e2fsck sgdisk strace
static_kiln
CHROOT=$(command -v chroot)
STRACE=$(command -v strace)

# only_paths NAME TRACE: after the exec of /kiln (or /genimage), every
# absolute path a file syscall names is allowed: libcrypto's default
# config, static glibc's /proc/self/exe, glibc's gconv configuration, and
# the passwd lookup of the '~' run. Relative paths are inputs and outputs.
only_paths() {
	python3 - "$1" "$2" <<'PY' || fail "$1: the static kiln reached outside its inputs (above)"
import re, sys
name, trace = sys.argv[1], sys.argv[2]
allowed = {"/usr/lib/ssl/openssl.cnf", "/proc/self/exe", "/kiln", "/genimage"}
if name == "tilde-config":
    allowed |= {"/", "/etc/nsswitch.conf", "/etc/passwd"}
bad, on = [], False
for line in open(trace):
    if re.search(r'execve\("/(kiln|genimage)"', line):
        on = True
    if not on:
        continue
    for path in re.findall(r'"((?:[^"\\]|\\.)*)"', line.split("(", 1)[-1].split(")", 1)[0])[:2]:
        # glibc's iconv_open (libarchive, pax UTF-8 names) looks for the
        # gconv configuration; the converters it needs are built in.
        # io/tmpfile.c probes /proc/self/fd/N to know whether an unnamed
        # temporary can be given a name; without /proc it uses a named one.
        if re.fullmatch(r"/proc/self/fd/[0-9]+", path):
            continue
        if re.search(r"/gconv/gconv-modules(\.cache|\.d)?$", path):
            continue
        if path.startswith("/") and path not in allowed:
            bad.append(line.strip())
if not on:
    sys.exit("no exec of the static kiln in " + trace)
for b in bad:
    print(name + ": " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

R=$T/chroot # the chroot, and the dynamic kiln's working directory
mkdir -p "$R/in/input/sub" "$R/in/root/etc" "$R/in/root/bin"
cp "$KS" "$R/kiln"
ln -s kiln "$R/genimage"
printf 'hello\n' >"$R/in/input/a.txt"
printf 'in a dir\n' >"$R/in/input/sub/c.txt"
printf 'Grüße\n' >"$R/in/input/sub/Überlänge Dateiname.txt" # FAT long name, UTF-16
printf 'rootfs\n' >"$R/in/root/etc/hostname"
printf '#!/bin/sh\n' >"$R/in/root/bin/init"
chmod 0755 "$R/in/root/bin/init"
# A pax tar with UTF-8 member names: libarchive converts names with the
# locale's charset, which a static binary without locale files must not
# change.
python3 - "$R/in/input/layer.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("etc/motd", b"hi\n"), ("opt/naïve/café.txt", b"\xe2\x98\x95\n")):
        i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1600000000; i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
PY
cat >"$R/in/kiln.cfg" <<'CFG'
seed = "chroot-test"
tree rootfs {
	layer { dir = "../root" }
	layer { archive = "layer.tar" }
	file /etc/issue { content = "kiln ${NAME}\n" }
}
image env.bin { ubootenv { vars = { "bootdelay=0", "bootcmd=run x" } } size = 0x2000 }
image boot.vfat {
	vfat {
		files = { "a.txt", "sub" }
		file boot/env.bin { image = "env.bin" }
	}
	size = 8M
}
image root.ext4 { ext4 { label = "root" } tree = rootfs size = 8M }
image root.cpio { cpio { } tree = rootfs }
image disk.img {
	hdimage { partition-table-type = "gpt" }
	partition boot { image = "boot.vfat" partition-type-uuid = "esp" }
	partition root { image = "root.ext4" partition-type-uuid = "linux" }
}
CFG
printf 'image x.img {\n\tfile { name = "nothere.bin" }\n}\n' >"$R/in/missing.cfg"
printf 'image x.img {\n\tvfat { }\n\tsize = 12Q\n}\n' >"$R/in/badsize.cfg"
printf 'include("~/x.cfg")\nimage a.bin { file { name = "a.txt" } }\n' >"$R/in/tilde.cfg"
printf 'image "x.img" {\n\tgenimage-fail {\n' >"$R/in/syntax.cfg"
P=(--inputpath in/input --rootpath in/root --tmppath tmp)

# run NAME EXPECTED-EXIT ARGS...: the static kiln in the chroot and the
# dynamic one outside, each writing into its own out-NAME-{s,d}; their
# exit codes, stdout and stderr must be equal (after naming the output
# directory the same), and so must every file they wrote.
n=0
run() {
	local name=$1 want=$2 rs=0 rd=0
	shift 2
	n=$((n + 1))
	local args=("${@//@OUT@/out-$name}")
	env -i SOURCE_DATE_EPOCH=1700000000 NAME=chroot \
		"$STRACE" -f -qq -e trace=%file -o "$name.trace" "$CHROOT" "$R" "${args[@]}" \
		>"$name.s.out" 2>"$name.s.err" || rs=$?
	only_paths "$name" "$name.trace"
	[ -d "$R/out-$name" ] && mv "$R/out-$name" "$R/out-$name-s"
	rm -rf "$R/tmp"
	local dargs=("${args[@]}")
	dargs[0]=$KILN
	[ "${args[0]}" = /genimage ] && dargs[0]=$GENIMAGE_KILN
	(cd "$R" && env -i SOURCE_DATE_EPOCH=1700000000 NAME=chroot "PATH=$PATH" \
		"ASAN_OPTIONS=${ASAN_OPTIONS:-}" "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}" \
		"${dargs[@]}") >"$name.d.out" 2>"$name.d.err" || rd=$?
	[ -d "$R/out-$name" ] && mv "$R/out-$name" "$R/out-$name-d"
	rm -rf "$R/tmp"
	[ "$rs" = "$want" ] || { cat "$name.s.err" >&2; fail "$name: static kiln in the chroot exited $rs, expected $want"; }
	[ "$rd" = "$want" ] || { cat "$name.d.err" >&2; fail "$name: dynamic kiln exited $rd, expected $want"; }
	diff -u "$name.d.out" "$name.s.out" || fail "$name: stdout differs"
	diff -u "$name.d.err" "$name.s.err" || fail "$name: stderr differs"
	if [ -d "$R/out-$name-s" ] || [ -d "$R/out-$name-d" ]; then
		diff -r "$R/out-$name-d" "$R/out-$name-s" || fail "$name: output files differ"
	fi
}

run plan 0 /kiln plan "${P[@]}" --outputpath @OUT@ in/kiln.cfg
grep -q '^image disk.img (hdimage)' plan.s.out || fail "plan: no disk.img"
run build 0 /kiln build "${P[@]}" --outputpath @OUT@ in/kiln.cfg
O=$R/out-build-s
for f in disk.img disk.img.bmap boot.vfat root.ext4 root.cpio env.bin; do
	[ -s "$O/$f" ] || fail "build: no $f"
done
fsck.fat -n "$O/boot.vfat" >/dev/null || fail "fsck.fat on the chroot's boot.vfat"
e2fsck -fn "$O/root.ext4" >/dev/null 2>&1 || fail "e2fsck on the chroot's root.ext4"
sgdisk -v "$O/disk.img" | grep -q 'No problems found' || fail "sgdisk -v on the chroot's disk.img"
run ls-vfat 0 /kiln ls "${P[@]}" in/kiln.cfg boot.vfat
grep -q 'Überlänge Dateiname.txt' ls-vfat.s.out || fail "ls boot.vfat: long name"
run ls-ext4 0 /kiln ls "${P[@]}" in/kiln.cfg root.ext4
grep -q '/opt/naïve/café.txt' ls-ext4.s.out || fail "ls root.ext4: the tar layer's UTF-8 name"
cp -r "$O" "$R/built"
run inspect-env 0 /kiln inspect built/env.bin
run inspect-cpio 0 /kiln inspect built/root.cpio
run bmap 0 /kiln bmap -o - built/disk.img
grep -q '<BlockMap' bmap.s.out || fail "kiln bmap: no block map on stdout"
run genimage 0 /genimage --config in/kiln.cfg "${P[@]}" --outputpath @OUT@
# Errors: one clear line, the same exit code, nothing written.
run missing 1 /kiln build "${P[@]}" --outputpath @OUT@ in/missing.cfg
grep -q 'nothere.bin' missing.s.err || fail "missing input: message does not name it"
run badsize 1 /kiln build "${P[@]}" --outputpath @OUT@ in/badsize.cfg
grep -Eq 'in/badsize.cfg:[0-9]+: .*"12Q"' badsize.s.err || fail "bad size: message does not name file:line"
# A '~' path: libconfuse expands it through the passwd database (NSS),
# which the chroot does not have.
run tilde 1 /kiln build "${P[@]}" --outputpath @OUT@ in/tilde.cfg
run tilde-config 1 /kiln plan "${P[@]}" '~/kiln.cfg'
run syntax 1 /kiln plan "${P[@]}" in/syntax.cfg
run nofile 1 /kiln inspect built/nothere
run usage 2 /kiln build --no-such-option
run command 2 /kiln frobnicate
for e in missing badsize tilde syntax; do
	[ ! -e "$R/out-$e-s" ] || expect_no_output "$R/out-$e-s"
	[ "$(wc -l <"$e.s.err")" -le 2 ] || { cat "$e.s.err" >&2; fail "$e: more than one error line"; }
done
echo "chroot: $n runs of the static kiln agree with the dynamic kiln" >&2
