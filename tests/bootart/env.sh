# ubootenv: byte-identical to mkenvimage across options, readable by
# fw_printenv, every validation error, inspect catches a bad CRC.
. "$KILN_TESTLIB"
need mkenvimage fw_printenv

mkdir input
cat > input/env.txt <<'T'
# a comment in column 1
bootdelay=0
bootcmd=run labboot

bootargs=console=ttyS1,115200 root=UUID=4c414230-0000-4000-8000-0123456789ab rootwait ro
labboot=echo "lab: loading"; load mmc 0:1 ${fit_addr_r} boot.itb && bootm ${fit_addr_r}
multi=first line\
second line
empty=
eq=a=b=c
T

i=0
for opts in "" "-r" "-b" "-p 0" "-r -b" "-r -b -p 0x5a" "-p 0"; do
	i=$((i + 1))
	red=false; be=false; pad=0xff
	case " $opts " in *" -r "*) red=true ;; esac
	case " $opts " in *" -b "*) be=true ;; esac
	case "$opts" in *"-p "*) pad=${opts##*-p } ;; esac
	for size in 0x4000 8192; do
		cat > env.cfg <<C
image env.bin {
	size = $size
	ubootenv { file = "env.txt" redundant = $red big-endian = $be pad = $pad }
}
C
		rm -rf images
		"$KILN" build --no-bmap env.cfg >/dev/null 2>&1 || { "$KILN" build env.cfg; fail "build ($opts $size)"; }
		# shellcheck disable=SC2086
		mkenvimage -s $size $opts -o ref.bin input/env.txt
		cmp images/env.bin ref.bin || fail "differs from mkenvimage -s $size $opts"
	done
done

# generated texts (fixed seed): comments, blank lines, continuations,
# '=' and spaces in values, no trailing newline; same bytes as mkenvimage
python3 - <<'P'
import random
r = random.Random(6)
chars = "abcXYZ019 _-=.,;:${}'\"#\t"
for k in range(12):
    lines, names = [], set()
    for i in range(r.randint(0, 25)):
        c = r.random()
        if c < 0.15:
            lines.append("#" + "".join(r.choice(chars) for _ in range(r.randint(0, 20))))
        elif c < 0.25:
            lines.append("")
        else:
            n = "v%d_%d" % (k, i)
            val = "".join(r.choice(chars) for _ in range(r.randint(0, 40)))
            if r.random() < 0.2:
                val += "\\\n" + "".join(r.choice(chars.replace("#", "")) for _ in range(r.randint(1, 10)))
            lines.append(n + "=" + val)
    text = "\n".join(lines) + ("\n" if r.random() < 0.7 else "")
    open("input/gen%d.txt" % k, "w").write(text)
P
for k in $(seq 0 11); do
	printf 'image g.bin { size = 0x2000 ubootenv { file = "gen%s.txt" } }\n' "$k" > g.cfg
	rm -rf images
	"$KILN" build --no-bmap g.cfg >/dev/null 2>&1 || { "$KILN" build --no-bmap g.cfg; fail "gen$k.txt rejected"; }
	mkenvimage -s 0x2000 -o ref.bin input/gen$k.txt
	cmp images/g.bin ref.bin || fail "gen$k.txt: differs from mkenvimage"
done

# vars list form == the same variables through mkenvimage
cat > vars.cfg <<'C'
image env.bin {
	size = 0x4000
	ubootenv { vars = { "bootdelay=0", "bootcmd=run labboot", "fit_addr_r=0x10000000" } }
}
C
rm -rf images
"$KILN" build --no-bmap vars.cfg >/dev/null
printf 'bootdelay=0\nbootcmd=run labboot\nfit_addr_r=0x10000000\n' > v.txt
mkenvimage -s 0x4000 -o ref.bin v.txt
cmp images/env.bin ref.bin || fail "vars form differs from mkenvimage"

# expand = true: ${NAME} from the top-level vars, then the environment;
# $${ is U-Boot's own ${
printf 'a=${KVAR}\nb=${KILN_TEST_ENVVAR}\nc=$${fit_addr_r} ${KVAR}\n' > input/x.txt
cat > x.cfg <<'C'
vars = { "KVAR=from-vars" }
image x.bin { size = 0x1000 ubootenv { file = "x.txt" expand = true } }
C
rm -rf images
KILN_TEST_ENVVAR=from-env "$KILN" build --no-bmap x.cfg >/dev/null
printf 'a=from-vars\nb=from-env\nc=${fit_addr_r} from-vars\n' > xref.txt
mkenvimage -s 0x1000 -o ref.bin xref.txt
cmp images/x.bin ref.bin || fail "expand = true"
rm -rf images
expect_fail 1 'x.txt: b: \$\{KILN_TEST_ENVVAR\} is not defined' env -u KILN_TEST_ENVVAR "$KILN" build --no-bmap x.cfg
expect_no_output images
rm -rf images; "$KILN" build --no-bmap vars.cfg >/dev/null

# fw_printenv (libubootenv) reads it: a config line "FILE OFFSET SIZE"
printf '%s 0x0 0x4000\n' "$T/images/env.bin" > fw_env.config
fw_printenv -c fw_env.config > printed.txt
grep -qx 'bootcmd=run labboot' printed.txt || { cat printed.txt; fail "fw_printenv: bootcmd"; }
grep -qx 'fit_addr_r=0x10000000' printed.txt || fail "fw_printenv: fit_addr_r"
[ "$(fw_printenv -c fw_env.config -n bootdelay)" = 0 ] || fail "fw_printenv -n bootdelay"

# kiln inspect: OK, then a wrong CRC, then a truncated file
"$KILN" inspect images/env.bin > insp.txt || { cat insp.txt; fail "inspect rejected a good env"; }
grep -q '^bootcmd=run labboot$' insp.txt || fail "inspect does not list variables"
cp images/env.bin bad.bin
printf '\x00' | dd of=bad.bin bs=1 seek=0 conv=notrunc status=none
printf '\x00' | dd of=bad.bin bs=1 seek=1 conv=notrunc status=none
expect_fail 1 'check failed' "$KILN" inspect bad.bin
grep -q 'crc: MISMATCH' "$T/.out" || { cat "$T/.out"; fail "inspect: no CRC mismatch reported"; }
head -c 8000 images/env.bin > trunc.bin
expect_fail 1 'check failed' "$KILN" inspect trunc.bin
grep -q 'MISMATCH' "$T/.out" || fail "inspect: truncated env not caught"
expect_fail 1 'shorter than --env-size' "$KILN" inspect --env-size 0x4000 trunc.bin
"$KILN" inspect --env-size 0x4000 images/env.bin >/dev/null || fail "inspect --env-size"

# validation errors: message names the file and line, nothing is written
bad() { # bad REGEX TEXT-FILE-CONTENT [EXTRA-OPTS]
	printf '%b' "$2" > input/bad.txt
	printf 'image e.bin { size = %s ubootenv { file = "bad.txt" %s } }\n' "${4:-0x4000}" "${3:-}" > bad.cfg
	rm -rf images
	expect_fail 1 "$1" "$KILN" build --no-bmap bad.cfg
	expect_no_output images
}
bad 'bad.txt:2: (image [^ ]+: )?"novalue": line without' 'a=1\nnovalue\n'
bad 'bad.txt:3: (image [^ ]+: )?empty variable name' 'a=1\n# c\n=x\n'
bad 'bad.txt:3: (image [^ ]+: )?duplicate variable a' 'a=1\nb=2\na=3\n'
bad 'too large by 3 bytes' 'abc=123\n' '' 10
printf 'image e.bin { ubootenv { vars = { "a=1" } } }\n' > bad.cfg
expect_fail 1 'bad.cfg:1: (image [^ ]+: )?.*size is required' "$KILN" build --no-bmap bad.cfg
printf 'image e.bin { size = 4k ubootenv { pad = 256 } }\n' > bad.cfg
expect_fail 1 'pad: 256 is not a byte' "$KILN" build --no-bmap bad.cfg
printf 'image e.bin { size = 4k ubootenv { vars = { "a=1", "nothing" } } }\n' > bad.cfg
expect_fail 1 'bad.cfg:1: (image [^ ]+: )?vars: "nothing": no' "$KILN" build --no-bmap bad.cfg
printf 'image e.bin { size = 4k ubootenv { vars = { "a=1", "a=2" } } }\n' > bad.cfg
expect_fail 1 'duplicate variable a' "$KILN" build --no-bmap bad.cfg
printf 'image e.bin { size = 4k ubootenv { file = "missing.txt" } }\n' > bad.cfg
expect_fail 1 'missing.txt: No such file' "$KILN" build --no-bmap bad.cfg
expect_no_output images
echo ok
