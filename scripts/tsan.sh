#!/bin/sh
# Opt-in tier (docs/testing.md): kiln built with ThreadSanitizer into
# build-tsan/, and the tests of everything that runs threads (-j writers,
# the prefetch, xz decoders, hashing readers, images kept on threads,
# gzip blocks) run against it; any data race fails the build it happens
# in, so the test. trees/xz-blocks is left out: it counts the threads a
# build starts, and TSan starts one of its own.
#   scripts/tsan.sh [ctest options]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS="-fsanitize=thread -O1" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
ninja -C build-tsan
# A signal ends kiln with writer threads not joined, by design (the
# rollback runs, then exit): not a leak worth failing on.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_thread_leaks=0"
cd build-tsan
ctest --output-on-failure -j2 -R 'store/|pkg/|trees/|hdimage/|bootart/|cli/' -E 'trees/xz-blocks' "$@"
