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
# The boot tests need Debian's arm64 packages: fetch them once, up front.
scripts/fetch-debs.sh "$(pwd)/.cache/debs" ||
	echo "test.sh: warning: could not fetch the arm64 packages; the boot tests will fail" >&2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j2 "$@"
