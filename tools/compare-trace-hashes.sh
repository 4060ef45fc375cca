#!/usr/bin/env bash
# Runs the same seeds with the Linux build and the Windows build (under Wine) and
# fails if any trace hash differs: the simulator must be deterministic across
# platforms, standard libraries and compilers.
# Usage: tools/compare-trace-hashes.sh LINUX_BUILD_DIR WINDOWS_BUILD_DIR [SEEDS...]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 LINUX_BUILD_DIR WINDOWS_BUILD_DIR [SEEDS...]" >&2; exit 2; }
linux=$1/tools/hamirror-sim windows=$2/tools/hamirror-sim.exe
shift 2
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 42 1000 123456789)
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$linux" ] || { echo "missing $linux (build the Linux preset first)" >&2; exit 2; }
[ -f "$windows" ] || { echo "missing $windows (build the windows-cross preset first)" >&2; exit 2; }

differ=0
for seed in "${seeds[@]}"; do
  on_linux=$("$linux" --seed "$seed" --hash-only)
  on_windows=$("$here/wine-run.sh" "$windows" --seed "$seed" --hash-only | tr -d '\r')
  if [ "$on_linux" = "$on_windows" ]; then
    echo "same   linux: $on_linux   windows: $on_windows"
  else
    echo "DIFFER linux: $on_linux   windows: $on_windows" >&2
    differ=1
  fi
done
[ "$differ" = 0 ] && echo "trace hashes identical on Linux and Windows for ${#seeds[@]} seeds"
exit "$differ"
