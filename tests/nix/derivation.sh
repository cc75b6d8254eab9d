# examples/rpi3's SD card image as a sandboxed Nix derivation whose builder
# is the static kiln (nix/image.nix, no nixpkgs): each .deb of the
# example's kiln.lock is a fixed-output derivation (Nix's builtin fetchurl,
# the lock's SHA-256) given to kiln with --package-file. Offline: the test
# adds the suite's fetched .debs to the Nix store under the names the
# fetches use, and the mirror is a closed port, so a download would fail.
# The image passes sfdisk -V, fsck.fat -n and e2fsck -fn; its bytes equal a
# build outside Nix from an input tree as the store hands it over
# (read-only, mtime 1, owned by another uid, reached through a symlink,
# empty environment, run as yet another uid); `nix-build --check` rebuilds
# it bit for bit; the sandbox really hides the host (a config named by a
# host path is not found inside it, and is outside it); and a lock whose
# SHA-256 is not a .deb's is refused by Nix before kiln runs.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/nix/lib-nix.inc"
command -v nix-build >/dev/null ||
	skip "nix-build not installed (Debian's nix-bin: scripts/deps.sh test)"
need nix-instantiate nix-store sfdisk fsck.fat e2fsck setpriv python3 flock
if [ "$(id -u)" != 0 ] && ! [ -w /nix/store ] && ! [ -S /nix/var/nix/daemon-socket/socket ]; then
	skip "uid $(id -u) cannot write /nix/store and there is no nix-daemon"
fi
. "$KILN_SRC/tests/boot/lib-debs.inc"
example_fetch || fail "kiln fetch of the example's packages: $(cat "$T/fetch.log")"
static_kiln

# No daemon, no nixbld users: root builds locally, and the sandbox maps
# the builder to an unprivileged uid in a user namespace. Nothing from a
# binary cache: every result here is built or added by the test. One
# attempt at a download is enough to see it fail.
export NIX_CONFIG=$'build-users-group =\nsubstituters =\ndownload-attempts = 1'
NIXOPTS=(--option sandbox true)
# Nothing listens on port 9 (discard): any download fails.
MIRROR=http://127.0.0.1:9/debian
cat >image.nix <<'NIX'
{ src, kiln, mirror, config ? null, sandboxProbe ? null }:
import (/. + src + "/nix/image.nix") ({
  kiln = /. + kiln;
  name = "rpi3";
  config = if config == null then /. + src + "/examples/rpi3/kiln.cfg" else /. + config;
  mirrors.debian = mirror;
} // (if sandboxProbe == null then { } else {
  # A config named by a host path (a string: not imported to the store).
  name = "kiln-sandbox-probe";
  config = sandboxProbe;
  src = dirOf sandboxProbe;
}))
NIX
A=(--argstr src "$KILN_SRC" --argstr kiln "$KS" --argstr mirror "$MIRROR")
OUTS=()
cleanup() {
	[ ${#OUTS[@]} = 0 ] || nix-store --delete "${OUTS[@]}" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

drv=$(nix-instantiate "${A[@]}" image.nix 2>inst.err) || { cat inst.err >&2; fail "nix-instantiate"; }
out=$(nix-store -q --outputs "$drv")
OUTS+=("$out")

# The locked .debs into the Nix store, as the fetches would leave them:
# flat SHA-256, named after the pool file ('~' made '_', as image.nix does).
mkdir debs
awk '$1 == "package" { print $7, $8 }' "$EX/kiln.lock" | sort -u >locked.txt
while read -r sha file; do
	name=$(basename "$file" | tr '~%:' '___')
	cp "$EXSTORE/cas/${sha:0:2}/$sha" "debs/$name"
	nix-store --add-fixed sha256 "debs/$name" >>added.txt 2>>add.err ||
		{ cat add.err >&2; fail "nix-store --add-fixed sha256 debs/$name"; }
done <locked.txt
# They are exactly the outputs of the image's fixed-output fetches.
for d in $(nix-store -q --references "$drv" | grep '\.deb\.drv$'); do nix-store -q --outputs "$d"; done |
	sort >wanted.txt
sort added.txt | diff -u - wanted.txt ||
	fail "the image's fetches are not the lock's .debs as nix-store --add-fixed adds them"
[ "$(wc -l <wanted.txt)" = "$(wc -l <locked.txt)" ] || fail "not one fetch per locked .deb"
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
PF=()
for f in "$T"/debs/*; do PF+=(--package-file "$T/store/0000-inputs/debs/${f##*/}"); done
mkdir -p store w
ln -s "$T/ro" "store/0000-inputs"
chmod 0755 "$T" store
chown 12345:12345 w
(cd w && env -i SOURCE_DATE_EPOCH=1577836800 \
	setpriv --reuid=12345 --regid=12345 --clear-groups --inh-caps=-all \
	"$KS" build --config "$T/store/0000-inputs/src/kiln.cfg" \
	--inputpath "$T/store/0000-inputs/src" --includepath "$T/store/0000-inputs/src" \
	--outputpath "$T/w/out" --tmppath "$T/w/tmp" --no-cache "${PF[@]}") 2>ref.err ||
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

# A lock whose SHA-256 for a package is not its .deb's. Served by the
# closed port: Nix tries to download it (so the build above downloaded
# nothing) and fails before kiln runs.
cp -a "$EX" badex
sha=$(awk '$1 == "package" && $2 == "adduser" { print $7; exit }' "$EX/kiln.lock")
bad=$(printf 'not adduser' | sha256sum | cut -d' ' -f1)
sed -i "s/ $sha / $bad /" badex/kiln.lock
! grep -q " $sha " badex/kiln.lock || fail "adduser's sha256 is still in badex/kiln.lock"
B=(--argstr config "$T/badex/kiln.cfg")
bdrv=$(nix-instantiate "${A[@]}" "${B[@]}" image.nix 2>>inst.err) || { cat inst.err >&2; fail "nix-instantiate (bad lock)"; }
[ "$bdrv" != "$drv" ] || fail "a changed kiln.lock did not change the derivation"
bout=$(nix-store -q --outputs "$bdrv")
OUTS+=("$bout")
rc=0
nix-build --no-out-link "${NIXOPTS[@]}" "$bdrv" >bad.out 2>bad.err || rc=$?
[ "$rc" != 0 ] || fail "nix-build with a wrong sha256 in kiln.lock succeeded"
grep -q "$MIRROR/pool/main/a/adduser/adduser_3.134_all.deb" bad.err ||
	{ cat bad.err >&2; fail "bad lock: Nix's message does not name the download it tried"; }
[ ! -e "$bout" ] || fail "bad lock: $bout exists"
# Served with the real .deb (file://, outside the sandbox): Nix compares
# the lock's hash with the file's and refuses.
mkdir -p mirror/pool/main/a/adduser
cp "$EXSTORE/cas/${sha:0:2}/$sha" mirror/pool/main/a/adduser/adduser_3.134_all.deb
fdrv=$(nix-instantiate "${A[@]}" "${B[@]}" --argstr mirror "file://$T/mirror" image.nix 2>>inst.err) ||
	{ cat inst.err >&2; fail "nix-instantiate (bad lock, file:// mirror)"; }
OUTS+=("$(nix-store -q --outputs "$fdrv")")
rc=0
nix-build --no-out-link --option sandbox false "$fdrv" >bad.out 2>bad.err || rc=$?
[ "$rc" != 0 ] || fail "nix-build with a wrong sha256 in kiln.lock (file:// mirror) succeeded"
grep -q "hash mismatch in fixed-output derivation '.*-adduser_3.134_all.deb.drv'" bad.err ||
	{ cat bad.err >&2; fail "bad lock: no hash mismatch naming adduser_3.134_all.deb"; }
sri() { python3 -c 'import base64, sys; print("sha256-" + base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }
grep -qF "specified: $(sri "$bad")" bad.err && grep 'got:' bad.err | grep -qF "$(sri "$sha")" ||
	{ cat bad.err >&2; fail "bad lock: Nix does not say the lock's hash and the file's"; }
exit 0
