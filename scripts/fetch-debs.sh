#!/bin/sh
# Fetch the Debian arm64 packages the Raspberry Pi 3 example is made of,
# into a cache directory (default .cache/debs). Nothing is installed or
# unpacked: kiln reads the .debs directly as tree layers.
#
#   scripts/fetch-debs.sh [CACHE_DIR]
#
# The Raspberry Pi firmware (raspi-firmware) lives in Debian's
# non-free-firmware component: it is enabled for this download only, with
# a private apt source list and state directory derived from the
# machine's own sources; the machine's configuration is not changed.
# Needs root only for `dpkg --add-architecture arm64` (once).
set -eu
CACHE=${1:-$(cd "$(dirname "$0")/.." && pwd)/.cache/debs}
mkdir -p "$CACHE"
cd "$CACHE"
# Parallel callers (the boot tests) share one cache: one fetch at a time.
exec 9>"$CACHE/.lock"
flock 9

PKGS="u-boot-rpi:arm64 u-boot-qemu busybox-static:arm64"

have() { ls $1 >/dev/null 2>&1; }
if have 'u-boot-rpi_*_arm64.deb' && have 'u-boot-qemu_*_all.deb' && have 'busybox-static_*_arm64.deb' &&
   have 'linux-image-[0-9]*-arm64_*_arm64.deb' && have 'raspi-firmware_*.deb'; then
	echo "fetch-debs: cached in $CACHE" >&2
	SKIP_DOWNLOAD=1
fi

if [ -z "${SKIP_DOWNLOAD:-}" ]; then
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" = 0 ] || { echo "fetch-debs: run 'dpkg --add-architecture arm64 && apt-get update' as root first" >&2; exit 1; }
	dpkg --add-architecture arm64
	apt-get update -qq
elif ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] && apt-get update -qq
fi

kpkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || { echo "fetch-debs: cannot resolve linux-image-arm64:arm64 (apt-get update?)" >&2; exit 1; }
kpkg=${kpkg%:arm64}
apt-get -o APT::Sandbox::User=root download -q $PKGS "$kpkg:arm64" >/dev/null

# raspi-firmware: a private apt setup with the non-free-firmware component
# of the same mirrors the machine already uses.
if ! have 'raspi-firmware_*.deb'; then
	P=$(mktemp -d)
	trap 'rm -rf "$P"' EXIT
	mkdir -p "$P/sources.d" "$P/lists/partial"
	{
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			awk '/^URIs:/ && !/security/ { print $2 }' /etc/apt/sources.list.d/debian.sources
		fi
		if [ -f /etc/apt/sources.list ]; then
			awk '$1 == "deb" && $2 !~ /security/ && $2 !~ /^\[/ { print $2 }' /etc/apt/sources.list
		fi
	} | sort -u | head -n 1 > "$P/mirror"
	mirror=$(cat "$P/mirror")
	[ -n "$mirror" ] || { echo "fetch-debs: no Debian mirror found in the apt sources" >&2; exit 1; }
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	cat > "$P/sources.d/nff.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite
Components: non-free-firmware
Architectures: arm64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	APT="-o APT::Sandbox::User=root -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=$P/sources.d -o Dir::State::Lists=$P/lists -o Dir::Cache=$P/cache -o APT::Architecture=arm64 -o APT::Architectures=arm64"
	mkdir -p "$P/cache"
	apt-get $APT update -qq
	apt-get $APT download -q raspi-firmware >/dev/null
fi
fi
link() { # link STABLE-NAME GLOB: a version-free name for the config
	f=$(ls $2 2>/dev/null | sort | tail -n 1)
	[ -n "$f" ] || { echo "fetch-debs: no $2 in $CACHE" >&2; exit 1; }
	ln -sfn "$f" "$1"
}
link linux-image.deb 'linux-image-[0-9]*-arm64_*_arm64.deb'
link busybox-static.deb 'busybox-static_*_arm64.deb'
link u-boot-rpi.deb 'u-boot-rpi_*_arm64.deb'
link u-boot-qemu.deb 'u-boot-qemu_*_all.deb'
link raspi-firmware.deb 'raspi-firmware_*.deb'
ls -l "$CACHE" >&2
