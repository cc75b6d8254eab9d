#!/bin/sh
# The whole test suite: installs what it needs, builds kiln with
# ASan+UBSan into build-asan/, runs every test with CTest.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
# The optimised build too: -O2 finds warnings (-Werror) that -O0 does not.
cmake -S . -B build -G Ninja >/dev/null
ninja -C build
cmake -S . -B build-asan -G Ninja -DKILN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C build-asan
# The boot tests need the examples' Debian arm64 packages: fetch them once,
# up front, into the suite's store (tests/boot/lib-debs.inc); the tests then
# find them there. A lock whose packages left the mirror is made again.
for ex in rpi3 verity; do
	scripts/example-fetch.sh build/kiln "$(pwd)/.cache/store" $ex ||
		echo "test.sh: warning: could not fetch examples/$ex's packages; its boot test will fail" >&2
done
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j2 "$@"
