# Sourced by tools/bench-suite.sh: each measure_* function fills fig[...] with figures
# (numbers; MB/s are 10^6 bytes per second, times in ms or s as named).

# Runs a program that prints "figure value" lines and stores them in fig.
run_figures() {
  local output key value
  output=$("$@") || die "$(basename "$1") ${2:-} failed"
  while read -r key value; do fig[$key]=$value; done <<<"$output"
}

# As the program, its figures named with a prefix: prefixed pinned_ program args...
prefixed() {
  local prefix=$1 output
  shift
  output=$("$@") || return 1
  sed "s/^/$prefix/" <<<"$output"
}

elapsed_s() { awk -v ms=$(( $(now_ms) - $1 )) 'BEGIN { printf "%.2f", ms / 1000 }'; }

# ms since the epoch of the last line of cluster/node's log matching the pattern (its
# timestamp, UTC with ms: 2026-11-27T14:01:05.247Z), or empty.
log_ms() {  # cluster node pattern
  local stamp
  stamp=$(grep -h -- "$3" "$(module_log "$1" "$2")" | tail -n 1 | cut -d' ' -f1)
  [ -n "$stamp" ] && date -u -d "$stamp" +%s%3N
}

# Lines in cluster/node's module log so far: where wait_log_line starts reading.
log_lines() { wc -l <"$(module_log "$1" "$2")"; }

# Waits, without polling, for a line with the fixed text in cluster/node's module log
# after its first `after` lines. Polling `hamirror state` every 50 ms took a quarter of
# the 2 cores from the daemons during a reintegration (a bash, a date and a CLI
# process per poll; perf record -a), which rsync's figure never paid.
wait_log_line() {  # cluster node after text seconds
  local tail_pid found=1 lines
  # tail -F sleeps on inotify; it is killed once the line is found (it would otherwise
  # notice grep gone only when the log grows again).
  exec {lines}< <(exec timeout "$5" tail -n +"$(( $3 + 1 ))" -F "$(module_log "$1" "$2")" 2>/dev/null)
  tail_pid=$!
  grep -q -m 1 -F -- "$4" <&"$lines" && found=0
  kill "$tail_pid" 2>/dev/null || true
  exec {lines}<&-
  [ "$found" -eq 0 ] || die "$1/$2 logged no \"$4\" within $5 s"
}

# A reintegration's figure: from `start` (ms) to the primary's "ALONE -> PRIM" as its
# log stamps it (the suite waits for that line: wait_log_line). Also the reintegration
# itself, "begins" to "finished".
reint_figures() {  # key start
  local prim begins finished
  fig[${1}_seen_s]=$(elapsed_s "$2")
  prim=$(log_ms reint node1 "ALONE -> PRIM: node2 is synchronised")
  [ -n "$prim" ] && [ "$prim" -ge "$2" ] || die "no ALONE -> PRIM after the start in node1's log"
  begins=$(log_ms reint node1 "reintegration of node2 begins")
  finished=$(log_ms reint node1 "reintegration of node2 finished")
  fig[${1}_s]=$(awk -v ms=$(( prim - $2 )) 'BEGIN { printf "%.2f", ms / 1000 }')
  fig[${1}_itself_s]=$(awk -v ms=$(( finished - begins )) 'BEGIN { printf "%.3f", ms / 1000 }')
}

measure_baselines() {
  say "baselines: loopback round trip, local fsync (alone and two side by side), disk, raw TCP and the two-process pipeline"
  run_figures "$baseline_bench" rtt --count 5000
  run_figures "$baseline_bench" fsync --count "$latency_count" --dir "$work"
  run_figures "$baseline_bench" fsync2 --count "$latency_count" --dir "$work"
  local block
  for block in 1048576 65536; do
    run_figures "$baseline_bench" disk --block "$block" --total-mib "$stream_mib" --dir "$work"
    run_figures "$baseline_bench" tcp --block "$block" --total-mib "$stream_mib" --dir "$work"
    run_figures "$baseline_bench" pipeline --block "$block" --total-mib "$stream_mib" --dir "$work"
    [ "$(nproc)" -lt 2 ] ||
      run_figures prefixed pinned_ "$baseline_bench" pipeline --cores 0,1 --block "$block" --total-mib "$stream_mib" --dir "$work"
  done
}

# hm_core_bench as the cluster's node1 (in-process, on the given core if any) against
# node2's hamirrord; its figures in $work/<cluster>/figures.
core_api_run() {  # cluster [core]
  local pin=()
  [ -z "${2:-}" ] || pin=(taskset -c "$2")
  "${pin[@]}" "$core_bench" --node "$work/$1/node1.toml" --module "$work/$1/node1/mirror/conf/userconfig.xml" \
    --total-mib "$stream_mib" --latency-count "$latency_count" >"$work/$1/figures" 2>"$work/$1/node1.out" &
  core_pid=$!
  start_daemon "$1" node2
  if ! wait "$core_pid"; then
    core_pid=""
    tail -n 20 "$work/$1/node1.out" >&2
    die "hm_core_bench failed in $1 (its log is above)"
  fi
  core_pid=""
}

# The primary in-process (hm_core_bench), the secondary a real hamirrord; first the same
# node with no secondary (ALONE): where the time goes without replication.
measure_core_api() {
  make_cluster core-alone 300 3000 node1 19100 127.0.0.1 127.0.0.1
  say "core API, the node ALONE (no secondary): the write path without replication"
  run_figures "$core_bench" --alone --node "$work/core-alone/node1.toml" \
    --module "$work/core-alone/node1/mirror/conf/userconfig.xml" --total-mib "$stream_mib" --latency-count "$latency_count"
  make_cluster core 300 3000 node1 19110 127.0.0.1 127.0.0.1
  say "core API: ${stream_mib} MiB in 1 MiB and 64 KiB writes, $latency_count 4 KiB write+fsync"
  core_api_run core
  run_figures cat "$work/core/figures"
  fig[mem_secondary_core_peak]=$(memory_mib core node2 VmHWM)
  stop_daemon core node2
  [ "$(nproc)" -lt 2 ] || measure_core_api_pinned
}

# The same streams with each node on a core of its own, as two servers share none: on
# this machine the two daemons, their thread pools and the kernel's flushers otherwise
# share both cores, and every hand-over between threads may wake another core.
measure_core_api_pinned() {
  make_cluster core-pinned 300 3000 node1 19190 127.0.0.1 127.0.0.1
  core_of[core-pinned/node2]=1
  say "core API, each node on a core of its own (taskset: node1 on 0, node2 on 1)"
  core_api_run core-pinned 0
  run_figures prefixed pinned_ cat "$work/core-pinned/figures"
  stop_daemon core-pinned node2
}

# dd through a directory: 1 MiB and 64 KiB writes with conv=fsync into a new file, then
# again over the same file (conv=notrunc: a rewrite, its blocks allocated); 4 KiB
# O_DSYNC writes; then 4 KiB writes beside a bulk writer (probe.py).
dd_figures() {  # prefix directory [no-probe]
  local name bs count start pass
  for spec in "1024k 1M $stream_mib" "64k 64K $((stream_mib * 16))"; do
    read -r name bs count <<<"$spec"
    for pass in "" rewrite_; do
      start=$(now_ms)
      dd if=/dev/zero of="$2/dd-$name.bin" bs="$bs" count="$count" conv=fsync${pass:+,notrunc} status=none ||
        die "dd through $2 failed"
      fig[${1}_${pass}${name}_MBps]=$(awk -v b=$((stream_mib << 20)) -v ms=$(( $(now_ms) - start )) 'BEGIN { printf "%.1f", b / ms / 1000 }')
    done
    rm -f "$2/dd-$name.bin"
  done
  start=$(now_ms)
  dd if=/dev/zero of="$2/dd-4k.bin" bs=4k count="$dsync_count" oflag=dsync status=none || die "dd through $2 failed"
  fig[${1}_4k_dsync_us]=$(( ($(now_ms) - start) * 1000 / dsync_count ))
  rm -f "$2/dd-4k.bin"
  local probe
  [ "${3:-}" != no-probe ] || return 0
  probe=$(python3 "$repo/bench/suite/probe.py" "$2" "$probe_seconds") || die "the 4 KiB write probe through $2 failed"
  read -r "fig[${1}_probe_p50_us]" "fig[${1}_probe_p99_us]" "fig[${1}_probe_max_us]" <<<"$probe"
}

measure_fuse() {
  make_cluster fuse 300 3000 node1 19130 127.0.0.1 127.0.0.1
  local m1 c1 c2 start
  m1=$(mount_of fuse node1); c1=$(copy_of fuse node1); c2=$(copy_of fuse node2)
  say "FUSE: two hamirrord on loopback"
  start_daemon fuse node1
  start_daemon fuse node2
  wait_pair fuse node1 60
  sleep 2  # idle: what a started node holds, not what starting it took
  fig[mem_primary_idle]=$(memory_mib fuse node1 VmRSS)
  fig[mem_secondary_idle]=$(memory_mib fuse node2 VmRSS)
  dd_figures fuse_on "$m1"
  fig[mem_primary_peak]=$(memory_mib fuse node1 VmHWM)
  fig[mem_secondary_peak]=$(memory_mib fuse node2 VmHWM)
  say "FUSE: the primary ALONE (secondary stopped), then the plain disk"
  stop_daemon fuse node2
  wait_code fuse node1 2 30
  dd_figures fuse_alone "$m1"
  mkdir -p "$work/plain"
  dd_figures plain "$work/plain"
  stop_daemon fuse node1
  [ "$(nproc)" -lt 2 ] || measure_fuse_pinned "$m1"
}

# The same dd runs with each node on a core of its own, as two servers share none (the
# writer, dd, wherever the scheduler puts it): a request through the mount crosses the
# FUSE thread, both event loops and both thread pools, and on this machine each
# hand-over may wait for a core the other node holds. ALONE, node1 keeps its core.
measure_fuse_pinned() {  # mount
  core_of[fuse/node1]=0
  core_of[fuse/node2]=1
  say "FUSE, each node on a core of its own (taskset: node1 on 0, node2 on 1), then node1 ALONE on its core"
  start_daemon fuse node1
  start_daemon fuse node2
  wait_pair fuse node1 60
  dd_figures pinned_fuse_on "$1" no-probe
  stop_daemon fuse node2
  wait_code fuse node1 2 30
  dd_figures pinned_fuse_alone "$1" no-probe
  stop_daemon fuse node1
  core_of[fuse/node1]=""
  core_of[fuse/node2]=""
}

# Adds a value to the space-separated list fig[key].
add_run() { fig[$1]+="$2 "; }

# One fast reintegration (the change numbered `round` made while node2 was away) and
# rsync of the same change onto the copy rsync brought up to date the round before.
fast_round() {  # round c1 c2 m1
  local start lines
  stop_daemon reint node2
  wait_code reint node1 2 30
  python3 "$repo/bench/suite/tree.py" change "$4/tree" "$files" "$1"
  drop_caches
  lines=$(log_lines reint node1)
  start=$(now_ms)
  start_daemon reint node2
  wait_log_line reint node1 "$lines" "ALONE -> PRIM: node2 is synchronised" 900
  reint_figures fast_reint "$start"
  wait_code reint node1 3 30
  add_run fast_reint_runs "${fig[fast_reint_s]}"
  add_run fast_reint_itself_runs "${fig[fast_reint_itself_s]}"
  add_run fast_reint_seen_runs "${fig[fast_reint_seen_s]}"
  fig[fast_reint_log]=$(grep -h "reintegration of node2 finished" "$(module_log reint node1)" | tail -n 1 | sed 's/.*finished: //')
  wait_code reint node2 4 30
  diff -rq "$2/tree" "$3/tree" >/dev/null || die "the copies differ after fast reintegration $1"
  drop_caches
  start=$(now_ms)
  rsync -a --inplace "$2/" "$work/rsync-stale/"
  add_run rsync_stale_runs "$(elapsed_s "$start")"
  sync
  add_run rsync_stale_sync_runs "$(elapsed_s "$start")"
  diff -rq "$2/tree" "$work/rsync-stale/tree" >/dev/null || die "rsync left the copies different"
}

# One full reintegration (node2's state wiped) and rsync to an empty folder.
full_round() {  # round c1 c2
  local start lines
  stop_daemon reint node2
  wait_code reint node1 2 30
  rm -rf "$work/reint/node2/state" "$work/rsync-empty"
  mkdir -p "$work/reint/node2/state" "$work/rsync-empty"
  drop_caches
  lines=$(log_lines reint node1)
  start=$(now_ms)
  start_daemon reint node2
  wait_log_line reint node1 "$lines" "ALONE -> PRIM: node2 is synchronised" 900
  reint_figures full_reint "$start"
  wait_code reint node1 3 30
  add_run full_reint_runs "${fig[full_reint_s]}"
  add_run full_reint_itself_runs "${fig[full_reint_itself_s]}"
  add_run full_reint_seen_runs "${fig[full_reint_seen_s]}"
  fig[full_reint_log]=$(grep -h "reintegration of node2 finished" "$(module_log reint node1)" | tail -n 1 | sed 's/.*finished: //')
  wait_code reint node2 4 30
  diff -rq "$2/tree" "$3/tree" >/dev/null || die "the copies differ after full reintegration $1"
  fig[mem_primary_after_full]=$(memory_mib reint node1 VmRSS)
  fig[mem_primary_peak_end]=$(memory_mib reint node1 VmHWM)
  fig[mem_secondary_peak_full]=$(memory_mib reint node2 VmHWM)
  drop_caches
  start=$(now_ms)
  rsync -a --inplace "$2/" "$work/rsync-empty/"
  add_run rsync_empty_runs "$(elapsed_s "$start")"
  sync
  add_run rsync_empty_sync_runs "$(elapsed_s "$start")"
}

# Its own cluster, so that `--only=reint` measures reintegration without the FUSE figures.
# Each of the $repeats rounds times hamirror, then rsync doing the same; the figures are
# the medians (table.sh).
measure_reintegration() {
  make_cluster reint 300 3000 node1 19170 127.0.0.1 127.0.0.1
  local m1 c1 c2 round
  m1=$(mount_of reint node1); c1=$(copy_of reint node1); c2=$(copy_of reint node2)
  start_daemon reint node1
  start_daemon reint node2
  wait_pair reint node1 120

  say "reintegration: a tree of $files files of 1 MiB through the primary's mount"
  python3 "$repo/bench/suite/tree.py" make "$m1/tree" "$files"
  sleep 2
  fig[mem_primary_after_tree]=$(memory_mib reint node1 VmRSS)
  fig[mem_secondary_after_tree]=$(memory_mib reint node2 VmRSS)
  mkdir -p "$work/rsync-stale"
  rsync -a --inplace "$c1/" "$work/rsync-stale/"  # rsync's stale copy: where node2 is now
  for round in $(seq "$repeats"); do
    say "reintegration: fast (secondary restarted) vs rsync -a --inplace onto the stale copy, round $round of $repeats"
    fast_round "$round" "$c1" "$c2" "$m1"
  done
  for round in $(seq "$repeats"); do
    say "reintegration: full (secondary wiped) vs rsync -a --inplace to an empty folder, round $round of $repeats"
    full_round "$round" "$c1" "$c2"
  done
  sleep 12  # the daemons give freed memory back every 10 s (runtime/daemon/node_daemon.cpp)
  fig[mem_primary_idle_after_full]=$(memory_mib reint node1 VmRSS)
  fig[mem_secondary_idle_after_full]=$(memory_mib reint node2 VmRSS)
  stop_daemon reint node2
  stop_daemon reint node1
  rm -rf "$work/rsync-stale" "$work/rsync-empty" "$work"/reint/node*/state/data  # the logs stay (--keep)
}

# --- RTO: namespaces hm-bench-n1, -n2 and -c (client) on a bridge in hm-bench-br --------------
rto_network() {
  local n
  for n in hm-bench-br hm-bench-n1 hm-bench-n2 hm-bench-c; do ip netns add "$n"; ip -n "$n" link set lo up; done
  ip -n hm-bench-br link add br0 type bridge
  ip -n hm-bench-br link set br0 up
  attach() {  # namespace device address
    ip link add "$2" netns "$1" type veth peer name "b-$2" netns hm-bench-br
    ip -n hm-bench-br link set "b-$2" master br0 up
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" link set "$2" up
  }
  attach hm-bench-n1 hmbench-n1 10.79.0.1
  attach hm-bench-n2 hmbench-n2 10.79.0.2
  attach hm-bench-c hmbench-c 10.79.0.3
}

# ms from t0 to the first start_prim of node that ended at or after t0.
start_prim_done_after() {  # node t0
  awk -v node="$1" -v since="$2" '$2 == node && $3 >= since { print $3 - since; exit }' "$work/rto/events.log"
}

measure_rto() {
  say "RTO: $rto_runs power cuts of the primary, pulse 100 ms / timeout 1000 ms, namespaces hm-bench-*"
  rto_network
  local vip=10.79.0.100 primary survivor mac t0 deadline sp_ms run
  make_cluster rto 100 1000 alone 19150 10.79.0.1 10.79.0.2 "$vip"
  netns_of[rto/node1]=hm-bench-n1
  netns_of[rto/node2]=hm-bench-n2
  start_daemon rto node1
  start_daemon rto node2
  wait_code rto node1 3 60
  wait_code rto node2 4 60
  primary=node1
  fig[rto_ms_list]=""
  fig[rto_start_prim_ms_list]=""
  for run in $(seq "$rto_runs"); do
    survivor=$(other "$primary")
    mac=$(ip -n "${netns_of[rto/$survivor]}" -o link show "hmbench-${survivor/node/n}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
    t0=$(now_ms)
    kill -KILL "${pid[rto/$primary]}"
    ip -n "${netns_of[rto/$primary]}" link set "hmbench-${primary/node/n}" down
    deadline=$(( t0 + 30000 ))
    until sp_ms=$(start_prim_done_after "$survivor" "$t0") && [ -n "$sp_ms" ]; do
      [ "$(now_ms)" -lt "$deadline" ] || die "RTO run $run: $survivor's start_prim did not finish within 30 s"
      sleep 0.01
    done
    until ip netns exec hm-bench-c arping -c 1 -w 1 -I hmbench-c "$vip" 2>/dev/null | grep -qi "\[$mac\]"; do
      [ "$(now_ms)" -lt "$deadline" ] || die "RTO run $run: the VIP did not answer from $survivor within 30 s"
    done
    fig[rto_ms_list]+="$(( $(now_ms) - t0 )) "
    fig[rto_start_prim_ms_list]+="$sp_ms "
    gone "${pid[rto/$primary]}" 5 || die "the killed daemon survived"
    unset "pid[rto/$primary]"
    # The node reboots: its link back, its daemon afresh; it returns as the secondary.
    ip -n "${netns_of[rto/$primary]}" link set "hmbench-${primary/node/n}" up
    start_daemon rto "$primary"
    wait_code rto "$primary" 4 120
    wait_code rto "$survivor" 3 60
    primary=$survivor
  done
  stop_daemon rto node1
  stop_daemon rto node2
  remove_namespaces
}
