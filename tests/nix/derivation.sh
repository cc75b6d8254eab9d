# examples/rpi3's SD card image as a sandboxed Nix derivation whose builder
# is the static kiln (nix/image.nix, no nixpkgs): the image passes
# sfdisk -V, fsck.fat -n and e2fsck -fn; its bytes equal a build outside
# Nix from an input tree as the store hands it over (read-only, mtime 1,
# owned by another uid, reached through a symlink, empty environment, run
# as yet another uid); `nix-build --check` rebuilds it bit for bit; and the
# sandbox really hides the host (a config named by a host path is not
# found inside it, and is outside it).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/nix/lib-nix.inc"
command -v nix-build >/dev/null ||
	skip "nix-build not installed (Debian's nix-bin: scripts/deps.sh test)"
need nix-instantiate nix-store sfdisk fsck.fat e2fsck setpriv python3
if [ "$(id -u)" != 0 ] && ! [ -w /nix/store ] && ! [ -S /nix/var/nix/daemon-socket/socket ]; then
	skip "uid $(id -u) cannot write /nix/store and there is no nix-daemon"
fi
# examples/rpi3 takes its packages from kiln.lock through kiln's store;
# nix/image.nix builds with --no-cache and has no way yet to hand the
# locked .debs (fixed-output fetchurls) to kiln as a store.
grep -q 'packages = {' "$KILN_SRC/examples/rpi3/common.cfg" &&
	skip "examples/rpi3 uses package layers (kiln.lock): nix/image.nix cannot give them a store yet"
DEBS=${KILN_DEBS:-$KILN_SRC/.cache/debs}
for d in linux-image busybox-static raspi-firmware u-boot-rpi; do
	[ -r "$DEBS/$d.deb" ] || skip "no $d.deb in $DEBS (scripts/fetch-debs.sh)"
done
static_kiln

# No daemon, no nixbld users: root builds locally, and the sandbox maps
# the builder to an unprivileged uid in a user namespace. Nothing from a
# binary cache: every result here is built.
export NIX_CONFIG=$'build-users-group =\nsubstituters ='
NIXOPTS=(--option sandbox true)
mkdir debs
for d in linux-image busybox-static raspi-firmware u-boot-rpi; do cp -L "$DEBS/$d.deb" debs/; done
EX=$KILN_SRC/examples/rpi3
cat >image.nix <<'NIX'
{ src, kiln, debs, sandboxProbe ? null }:
import (/. + src + "/nix/image.nix") ({
  kiln = /. + kiln;
  name = "rpi3";
  config = /. + src + "/examples/rpi3/kiln.cfg";
  vars = { KILN_DEBS = /. + debs; };
} // (if sandboxProbe == null then { } else {
  # A config named by a host path (a string: not imported to the store).
  name = "kiln-sandbox-probe";
  config = sandboxProbe;
  src = dirOf sandboxProbe;
  vars = { };
}))
NIX
A=(--argstr src "$KILN_SRC" --argstr kiln "$KS" --argstr debs "$T/debs")
OUTS=()
cleanup() {
	[ ${#OUTS[@]} = 0 ] || nix-store --delete "${OUTS[@]}" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

drv=$(nix-instantiate "${A[@]}" image.nix 2>inst.err) || { cat inst.err >&2; fail "nix-instantiate"; }
out=$(nix-store -q --outputs "$drv")
OUTS+=("$out")
# A result left by an earlier run would make nix-build a no-op.
nix-store --delete "$out" >/dev/null 2>&1 || true
[ ! -e "$out" ] || fail "$out is still valid (a GC root holds it?); cannot rebuild it"
nix-build --no-out-link "${NIXOPTS[@]}" "$drv" >build.out 2>build.err ||
	{ cat build.err >&2; fail "sandboxed nix-build of the example image"; }
[ "$(tail -n1 build.out)" = "$out" ] || fail "nix-build printed $(tail -n1 build.out), expected $out"
for f in rpi3.img rpi3.img.bmap rootfs.ext4; do [ -s "$out/$f" ] || fail "no $f in $out"; done

# The oracles, on the partitions inside the image.
sfdisk -V "$out/rpi3.img" >sfdisk.txt 2>&1 || { cat sfdisk.txt >&2; fail "sfdisk -V"; }
sfdisk -J "$out/rpi3.img" >table.json
python3 - "$out/rpi3.img" table.json <<'PY'
import json, sys
img, parts = sys.argv[1], json.load(open(sys.argv[2]))["partitiontable"]["partitions"]
with open(img, "rb") as f:
    for n, p in enumerate(parts, 1):
        f.seek(p["start"] * 512)
        with open("p%d" % n, "wb") as o:
            left = p["size"] * 512
            while left:
                b = f.read(min(left, 1 << 20)); o.write(b); left -= len(b)
PY
fsck.fat -n p1 >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.fat -n on partition 1"; }
e2fsck -fn p2 >e2fsck.txt 2>&1 || { cat e2fsck.txt >&2; fail "e2fsck -fn on partition 2"; }
rm -f p1 p2

# The same build outside Nix, from inputs as the store presents them.
ro_tree "$EX" ro/src
ro_tree "$T/debs" ro/debs
mkdir -p store w
ln -s "$T/ro" "store/0000-inputs"
chmod 0755 "$T" store
chown 12345:12345 w
(cd w && env -i SOURCE_DATE_EPOCH=1577836800 KILN_DEBS="$T/store/0000-inputs/debs" \
	setpriv --reuid=12345 --regid=12345 --clear-groups --inh-caps=-all \
	"$KS" build --config "$T/store/0000-inputs/src/kiln.cfg" \
	--inputpath "$T/store/0000-inputs/src" --includepath "$T/store/0000-inputs/src" \
	--outputpath "$T/w/out" --tmppath "$T/w/tmp") 2>ref.err ||
	{ cat ref.err >&2; fail "kiln build outside Nix, as uid 12345, from the read-only tree"; }
for f in rpi3.img rpi3.img.bmap rootfs.ext4; do
	a=$(sha256sum <"$out/$f" | cut -d' ' -f1)
	b=$(sha256sum <"w/out/$f" | cut -d' ' -f1)
	[ "$a" = "$b" ] || fail "$f: Nix built $a, outside Nix $b"
done
echo "nix: rpi3.img sha256 $(sha256sum <"$out/rpi3.img" | cut -c1-16)... in and outside Nix" >&2

# Nix builds it again and compares: a nondeterministic output fails here.
nix-build --no-out-link --check "${NIXOPTS[@]}" "$drv" >check.out 2>check.err ||
	{ cat check.err >&2; fail "nix-build --check: the rebuild differs"; }

# The sandbox hides the host: a config named by a host path (unique per
# run, so never in the store already) is missing inside it...
mkdir -p host
printf 'image a.img {\n\tvfat { }\n\tempty = true\n\tsize = 1M\n}\n# %s\n' "$T" >host/probe.cfg
chmod -R a+rX host
P=(--argstr sandboxProbe "$T/host/probe.cfg")
pdrv=$(nix-instantiate "${A[@]}" "${P[@]}" image.nix 2>>inst.err) || { cat inst.err >&2; fail "nix-instantiate (probe)"; }
OUTS+=("$(nix-store -q --outputs "$pdrv")")
rc=0
nix-build --no-out-link "${NIXOPTS[@]}" "$pdrv" >probe.out 2>probe.err || rc=$?
[ "$rc" != 0 ] || fail "the sandboxed build read a config from the host ($T/host/probe.cfg)"
grep "$T/host/probe.cfg" probe.err | grep -q "No such file" || { cat probe.err >&2; fail "sandbox probe: kiln's message does not name the config"; }
# ... and there without the sandbox: the failure above was the sandbox's.
nix-build --no-out-link --option sandbox false "$pdrv" >probe.out 2>probe.err ||
	{ cat probe.err >&2; fail "the probe does not build without the sandbox either"; }
