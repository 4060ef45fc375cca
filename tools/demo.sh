#!/usr/bin/env bash
# The main job, for now: builds what is needed (release preset) and runs a
# deterministic simulation of a two-node cluster, printing what happens, its seed
# and its trace hash. Extra arguments go to hamirror-sim (try --seed 7, --help).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh linux
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release >/dev/null
fi
cmake --build --preset release --target hamirror-sim >/dev/null
exec build/release/tools/hamirror-sim "$@"
