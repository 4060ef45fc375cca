#!/usr/bin/env bash
# The whole test suite, from a clean checkout on Debian 12 (as root it installs what
# is missing). Steps, each failing fast with its name:
#   1. Linux `ci` preset: build with warnings as errors, every ctest label.
#   2. `asan` preset: unit and wire-decoding tests under AddressSanitizer + UBSan.
#   3. `windows-cross` preset: mingw-w64 build, unit/contract/sim tests under Wine.
#   4. The same seed's trace hash on Linux and under Wine must be identical.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n=== %s (%ds) ===\n' "$*" $(( $(date +%s) - started )); }
fail() { echo "test-all: FAILED at: $*" >&2; exit 1; }

step "installing missing packages"
tools/install-deps.sh all || fail "installing packages"

step "Linux build and tests (preset ci)"
cmake --preset ci >/dev/null || fail "configure ci"
cmake --build --preset ci || fail "build ci"
ctest --preset ci || fail "Linux tests"

step "AddressSanitizer + UBSan: unit and wire tests (preset asan)"
cmake --preset asan >/dev/null || fail "configure asan"
cmake --build --preset asan || fail "build asan"
ctest --preset asan || fail "asan tests"

step "Windows cross-build (preset windows-cross)"
tools/win-deps.sh || fail "building Windows libraries"
cmake --preset windows-cross >/dev/null || fail "configure windows-cross"
cmake --build --preset windows-cross || fail "build windows-cross"
step "Windows tests under Wine"
tools/wine-ctest.sh build/windows-cross -L windows --output-on-failure --no-tests=error -j2 --timeout 300 || fail "Windows tests under Wine"

step "Same seed, same trace hash: Linux vs Windows under Wine"
tools/compare-trace-hashes.sh build/ci build/windows-cross || fail "trace hashes differ between Linux and Windows"

step "all tests passed in $(( $(date +%s) - started )) s"
