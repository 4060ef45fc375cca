#!/usr/bin/env bash
# hamirror's benchmark suite: one run, one table, each figure beside a baseline
# measured in the same run (issue 6, section 2).
#
# Builds what it needs (release preset), then, all under /var/tmp/hm-bench:
#   1. baselines: loopback TCP round trip, local 4 KiB write+fsync, local disk, raw
#      loopback TCP, and a two-process pipeline (write locally + stream over loopback
#      TCP to a receiver that writes too; fsync on both at the end);
#   2. the core API: hm_core_bench runs the primary's core::Node in-process on the
#      libuv backend and submits writes with Node::submit; the secondary is a real
#      `hamirrord run` on loopback;
#   3. FUSE: dd through the primary's mount of two hamirrord on loopback, and 4 KiB
#      writes timed beside a bulk writer (bench/suite/probe.py), then the same
#      with the secondary stopped (the primary ALONE: hamirrord has no passthrough mode,
#      this is the closest stand-in for "replication off"), then the plain disk;
#   4. reintegration: a tree of 1,000 files of 1 MiB; the secondary stopped; 10 files
#      rewritten whole + 2,000 4 KiB writes at seeded random offsets in other files;
#      the time from the secondary's restart to the primary's PRIM (synchronised) vs
#      `rsync -a --inplace` of the same change; then a wiped secondary (full
#      reintegration) vs rsync to an empty target. Page cache dropped before each;
#   5. RTO: two daemons in network namespaces hm-bench-* on a bridge with a VIP, pulse
#      100 ms / timeout 1000 ms; power cut of the primary (kill -9 + link down) until
#      the new primary's start_prim has finished and the VIP answers ARP from it;
#   6. daemon memory (VmRSS / VmHWM) idle, under load, and after 1 GiB replicated.
# Everything is stopped and removed at the end, also on error or Ctrl-C.
#
# Needs root (FUSE mounts, namespaces, drop_caches), /dev/fuse, ip, nsenter, arping,
# rsync, python3. Takes about 6 minutes and 5 GB of disk (--quick: 2 minutes).
# Options: --quick (100-file tree, 128 MiB streams: for trying things out; the README's
#          table is from a full run), --no-rto, --keep (leave the work folder),
#          --only=SECTION (baselines, core, fuse — with memory —, reint or rto; several: --only='core reint'),
#          --repeats=N (reintegration: N rounds of hamirror then rsync, medians reported; default 1).
# Environment: HAMIRROR_BENCH_BUILD_DIR (default build/release), HAMIRROR_BUILD_LOCK (a
#          file to flock around the build, for shared machines).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

files=1000; stream_mib=512; latency_count=1000; dsync_count=2000; probe_seconds=8; rto_runs=5; keep=0; rto=1; repeats=1
sections="baselines core fuse reint rto"
for arg in "$@"; do
  case "$arg" in
    --only=*) sections=${arg#--only=} ;;
    --quick) files=100; stream_mib=128; latency_count=300; dsync_count=500; probe_seconds=3; rto_runs=5 ;;
    --no-rto) rto=0 ;;
    --repeats=*) repeats=${arg#--repeats=}
                 [[ "$repeats" =~ ^[1-9][0-9]?$ ]] || { echo "bench-suite: --repeats takes 1..99, not '$repeats'" >&2; exit 2; } ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "bench-suite: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench-suite: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

[ "$(id -u)" -eq 0 ] || die "needs root: FUSE mounts, network namespaces and dropping the page cache (run with sudo)"
[ -e /dev/fuse ] || die "/dev/fuse is missing: hamirror captures writes with FUSE (modprobe fuse)"
for tool in ip nsenter arping rsync python3 fusermount3 dd; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (tools/install-deps.sh linux)"
done

# --- build ---------------------------------------------------------------------------------
build=${HAMIRROR_BENCH_BUILD_DIR:-build/release}
lock=()
[ -n "${HAMIRROR_BUILD_LOCK:-}" ] && lock=(flock "$HAMIRROR_BUILD_LOCK")
say "building hm_core_bench, hm_baseline_bench, hamirrord, hamirror in $build (release preset)"
[ -f "$build/build.ninja" ] || "${lock[@]}" cmake --preset release -B "$build" >/dev/null
"${lock[@]}" cmake --build "$build" -j2 --target hm_core_bench hm_baseline_bench hamirrord hamirror >/dev/null
hamirrord=$repo/$build/runtime/daemon/hamirrord
hamirror=$repo/$build/runtime/cli/hamirror
core_bench=$repo/$build/bench/suite/hm_core_bench
baseline_bench=$repo/$build/bench/suite/hm_baseline_bench

# --- work folder and cleanup -------------------------------------------------------------------
mkdir -p /var/tmp/hm-bench
work=$(mktemp -d /var/tmp/hm-bench/run.XXXXXX)
declare -A pid=()
declare -A fig=()
core_pid=""
remove_namespaces() {
  local n
  for n in hm-bench-n1 hm-bench-n2 hm-bench-c hm-bench-br; do
    [ -e "/var/run/netns/$n" ] || continue
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
}
cleanup() {
  local status=$? key m
  trap - EXIT INT TERM
  [ -n "$core_pid" ] && kill -KILL "$core_pid" 2>/dev/null || true
  for key in "${!pid[@]}"; do kill -TERM "${pid[$key]}" 2>/dev/null || true; done
  for key in "${!pid[@]}"; do
    for _ in $(seq 50); do kill -0 "${pid[$key]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid[$key]}" 2>/dev/null || true
  done
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | while read -r m; do
    fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  remove_namespaces
  if [ "$status" -ne 0 ]; then
    for m in "$work"/*/node*/log/module.log; do
      [ -f "$m" ] && { echo "----- $m (last 15 lines) -----" >&2; tail -n 15 "$m" >&2; }
    done
  fi
  if [ "$keep" -eq 1 ]; then say "kept $work"; else rm -rf "$work"; rmdir /var/tmp/hm-bench 2>/dev/null || true; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
remove_namespaces  # a killed run's

source "$repo/bench/suite/cluster.sh"
source "$repo/bench/suite/measure.sh"
source "$repo/bench/suite/table.sh"

say "work folder $work; load: $(uptime | sed 's/.*load average/load average/')"
fig[load_before]=$(cut -d' ' -f1-3 /proc/loadavg)
wanted() { [[ " $sections " == *" $1 "* ]]; }
wanted baselines && measure_baselines
wanted core && measure_core_api
wanted fuse && measure_fuse
wanted reint && measure_reintegration
[ "$rto" -eq 1 ] && wanted rto && measure_rto
fig[load_after]=$(cut -d' ' -f1-3 /proc/loadavg)
print_table
