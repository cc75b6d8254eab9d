#!/bin/sh
# Install the Debian 12 packages kiln needs, when missing.
#   scripts/deps.sh build   compiler and libraries (+ Debian's archive keyring:
#                           the example's repository is checked with it)
#   scripts/deps.sh test    + the oracle tools the test suite runs
#   scripts/deps.sh static  + the static libraries' own dependencies (scripts/static.sh)
set -eu
BUILD="cmake ninja-build gcc pkg-config libconfuse-dev libarchive-dev libfdt-dev libssl-dev zlib1g-dev libcrypt-dev libsolv-dev libsolvext-dev libcurl4-openssl-dev gpgv debian-archive-keyring"
BUILD="$BUILD libsquashfs-dev liblz4-dev liblzma-dev"
# libarchive-dev does not pull in the -dev packages of what libarchive.a
# needs (pkg-config --static --libs libarchive). libacl ships no .a and
# libxml2 (xar) is never reached: both are left out of the link.
STATIC="$BUILD libzstd-dev liblz4-dev libbz2-dev nettle-dev libxml2-dev libicu-dev"
TEST="$STATIC e2fsprogs dosfstools mtools fdisk gdisk u-boot-tools libubootenv-tool device-tree-compiler cpio kmod genimage bmap-tools python3 openssl whois xz-utils zstd bzip2 gzip dpkg-dev qemu-system-arm attr acl libcap2-bin nix-bin strace apt-utils gnupg"
TEST="$TEST squashfs-tools squashfs-tools-ng android-sdk-libsparse-utils"
TEST="$TEST erofs-utils cryptsetup-bin"  # erofs and verity oracles
TEST="$TEST arm-trusted-firmware-tools mdadm qemu-utils"  # fip, mdraid, qemu oracles
TEST="$TEST btrfs-progs f2fs-tools mtd-utils"  # tools of the btrfs, f2fs, ubifs, jffs2 types; ubinize: the ubi twin
TEST="$TEST genisoimage rauc"  # tools of the iso and rauc types (isoinfo reads iso images)
TEST="$TEST debootstrap gdb"  # bench/genimage-disk.sh (minbase tree), tests/store/cpio-size.sh
case "${1:-build}" in
build) want=$BUILD ;;
static) want=$STATIC ;;
test) want=$TEST ;;
*) echo "usage: $0 build|static|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
