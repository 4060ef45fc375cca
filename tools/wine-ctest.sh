#!/usr/bin/env bash
# Runs ctest for a Windows (cross-built) build directory under Wine.
# Usage: tools/wine-ctest.sh <build-dir> [ctest arguments...]
# A persistent wineserver is started first and stopped afterwards: otherwise each test's
# Wine background processes keep ctest's output pipe open for ~2.6 s.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <build-dir> [ctest args...]" >&2; exit 2; }
build=$1; shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export WINEDEBUG=${WINEDEBUG:--all}
export WINEPREFIX=${WINEPREFIX:-$HOME/.cache/hamirror-wine}

"$here/wine-run.sh"                      # create the prefix if needed
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
wineserver -p </dev/null >/dev/null 2>&1
# Start Wine's background services now, outside ctest's output pipes.
wine cmd /c exit 0 </dev/null >/dev/null 2>&1 || true

rc=0
ctest --test-dir "$build" "$@" || rc=$?
exit "$rc"
