#!/usr/bin/env bash
# Runs the same seeds with the Linux build and the Windows build (under Wine) --
# hamirror-chaos's seeds 1..50 (whole fault scenarios) and a few of hamirror-sim's --
# and fails if any trace hash differs: the simulator must be deterministic across
# platforms, standard libraries and compilers.
# Usage: tools/compare-trace-hashes.sh LINUX_BUILD_DIR WINDOWS_BUILD_DIR [SEEDS...]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 LINUX_BUILD_DIR WINDOWS_BUILD_DIR [SEEDS...]" >&2; exit 2; }
linux_dir=$1 windows_dir=$2
linux=$linux_dir/tools/hamirror-sim windows=$windows_dir/tools/hamirror-sim.exe
shift 2
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 42 1000 123456789)
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$linux" ] || { echo "missing $linux (build the Linux preset first)" >&2; exit 2; }
[ -f "$windows" ] || { echo "missing $windows (build the windows-cross preset first)" >&2; exit 2; }

differ=0
# The fault-injection runner's whole scenarios (faults, workload, reintegrations): the
# first 50 seeds, one line per seed with its trace hash, compared line by line.
chaos_seeds=${HAMIRROR_CHAOS_HASH_SEEDS:-1..50}
chaos_hashes() { grep -E '^seed [0-9]+: ' | sed -E 's/^seed ([0-9]+): ([a-z_]+) trace=([0-9a-f]+).*/\1 \2 \3/' | sort -n; }
chaos_linux=$linux_dir/tools/hamirror-chaos chaos_windows=$windows_dir/tools/hamirror-chaos.exe
[ -x "$chaos_linux" ] || { echo "missing $chaos_linux" >&2; exit 2; }
[ -f "$chaos_windows" ] || { echo "missing $chaos_windows" >&2; exit 2; }
linux_runs=$("$chaos_linux" --seeds "$chaos_seeds" --jobs 2 | chaos_hashes || true)
windows_runs=$("$here/wine-run.sh" "$chaos_windows" --seeds "$chaos_seeds" --jobs 2 | tr -d '\r' | chaos_hashes || true)
if [ -n "$linux_runs" ] && [ "$linux_runs" = "$windows_runs" ]; then
  echo "hamirror-chaos: trace hashes identical on Linux and Windows for seeds $chaos_seeds ($(wc -l <<<"$linux_runs") runs)"
else
  echo "hamirror-chaos: trace hashes DIFFER between Linux and Windows (seed, outcome, hash):" >&2
  diff <(echo "$linux_runs") <(echo "$windows_runs") >&2 || true
  differ=1
fi

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
