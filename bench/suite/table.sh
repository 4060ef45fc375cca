# Sourced by tools/bench-suite.sh: prints fig[...] as one Markdown table, each figure
# beside its baseline from the same run, the ratio, the goal and whether it is met.

calc() { awk "BEGIN { $1 }"; }  # calc 'printf "%.2f", 1/3'
ratio() { calc "b = $2 + 0; if (b > 0) printf \"%.2f×\", ($1 + 0) / b; else printf \"-\""; }
# "n/a" when a figure is missing (a section not run, --only).
compare() { [[ "$2 $3" == *n/a* ]] && { echo n/a; return; }; calc "print (($2 + 0) $1 ($3 + 0)) ? \"yes\" : \"**NO**\""; }
at_least() { compare ">=" "$1" "$2"; }
at_most() { compare "<=" "$1" "$2"; }
larger() { [[ "$1 $2" == *n/a* ]] && { echo n/a; return; }; calc "print ($1 > $2) ? $1 : $2"; }
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
f() { echo "${fig[$1]:-n/a}"; }
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

throughput_rows() {
  local size label pass what
  for pass in write rewrite; do
    what=$([ $pass = write ] && echo "write into a new file" || echo "rewrite of the same file")
    for size in 1024k 64k; do
      label=$([ $size = 1024k ] && echo "1 MiB" || echo "64 KiB")
      row "replicated $what, $label (core API), MB/s" "$(f core_${pass}_${size}_MBps)" \
        "pipeline $(f pipeline_${pass}_${size}_MBps)" "$(ratio "$(f core_${pass}_${size}_MBps)" "$(f pipeline_${pass}_${size}_MBps)")" \
        "≥ 0.9×" "$(at_least "$(f core_${pass}_${size}_MBps)" "0.9 * $(f pipeline_${pass}_${size}_MBps)")"
    done
  done
  for pass in write rewrite; do
    row "reference: each node on a core of its own (taskset), the pipeline likewise, $pass, MB/s" \
      "1 MiB $(f pinned_core_${pass}_1024k_MBps), 64 KiB $(f pinned_core_${pass}_64k_MBps)" \
      "pipeline 1 MiB $(f pinned_pipeline_${pass}_1024k_MBps), 64 KiB $(f pinned_pipeline_${pass}_64k_MBps)" \
      "$(ratio "$(f pinned_core_${pass}_1024k_MBps)" "$(f pinned_pipeline_${pass}_1024k_MBps)"), $(ratio "$(f pinned_core_${pass}_64k_MBps)" "$(f pinned_pipeline_${pass}_64k_MBps)")" "" ""
  done
  row "reference: core API, node ALONE (no replication), write / rewrite, MB/s" \
    "1 MiB $(f core_alone_write_1024k_MBps) / $(f core_alone_rewrite_1024k_MBps), 64 KiB $(f core_alone_write_64k_MBps) / $(f core_alone_rewrite_64k_MBps)" "" "" "" ""
  row "reference: raw TCP loopback, MB/s" "" "1 MiB $(f tcp_loopback_1024k_MBps), 64 KiB $(f tcp_loopback_64k_MBps)" "" "" ""
  row "reference: local disk, fsync at end, write / rewrite, MB/s" "" \
    "1 MiB $(f disk_write_1024k_MBps) / $(f disk_rewrite_1024k_MBps), 64 KiB $(f disk_write_64k_MBps) / $(f disk_rewrite_64k_MBps)" "" "" ""
}

latency_rows() {
  local bound
  bound=$(calc "printf \"%.0f\", $(f local_fsync_4k_p50_us) + $(f loopback_rtt_p50_us)")
  row "4 KiB write + fsync (core API), p50 µs" "$(f core_fsync_4k_p50_us)" \
    "local fsync $(f local_fsync_4k_p50_us) + RTT $(f loopback_rtt_p50_us) = $bound" "$(ratio "$(f core_fsync_4k_p50_us)" "$bound")" \
    "≤ 1.1×" "$(at_most "$(f core_fsync_4k_p50_us)" "1.1 * $bound")"
  row "reference: 4 KiB write + fsync, each node on a core of its own, p50 / p99 µs" "$(f pinned_core_fsync_4k_p50_us) / $(f pinned_core_fsync_4k_p99_us)" "" "" "" ""
  row "reference: 4 KiB write + fsync, node ALONE, p50 / p99 µs" "$(f core_alone_fsync_4k_p50_us) / $(f core_alone_fsync_4k_p99_us)" "" "" "" ""
  row "reference: two local 4 KiB write + fsync loops side by side on this one disk (both copies live on it here), p50 / p99 µs" "" \
    "$(f side_by_side_fsync_4k_p50_us) / $(f side_by_side_fsync_4k_p99_us)" "" "" ""
  row "4 KiB write + fsync (core API), p99 µs" "$(f core_fsync_4k_p99_us)" \
    "local fsync $(f local_fsync_4k_p99_us), RTT $(f loopback_rtt_p99_us)" "" "" ""
}

fuse_rows() {
  local size label pass what
  for pass in "" rewrite_; do
    what=$([ -z "$pass" ] && echo "conv=fsync (a new file)" || echo "conv=fsync,notrunc (the same file again)")
    for size in 1024k 64k; do
      label=$([ $size = 1024k ] && echo "1 MiB" || echo "64 KiB")
      row "FUSE mount, dd bs=$label $what, MB/s" "$(f fuse_on_${pass}${size}_MBps)" \
        "ALONE $(f fuse_alone_${pass}${size}_MBps); disk $(f plain_${pass}${size}_MBps)" \
        "$(ratio "$(f fuse_on_${pass}${size}_MBps)" "$(f fuse_alone_${pass}${size}_MBps)"); disk $(ratio "$(f fuse_on_${pass}${size}_MBps)" "$(f plain_${pass}${size}_MBps)")" \
        "≥ 0.9× ALONE" "$(at_least "$(f fuse_on_${pass}${size}_MBps)" "0.9 * $(f fuse_alone_${pass}${size}_MBps)")"
    done
  done
  # Latencies: the ratio is turned round so that, like the others, higher is better.
  row "FUSE mount, 4 KiB writes beside a bulk writer, p50 / p99 / max µs" \
    "$(f fuse_on_probe_p50_us) / $(f fuse_on_probe_p99_us) / $(f fuse_on_probe_max_us)" \
    "ALONE $(f fuse_alone_probe_p50_us) / $(f fuse_alone_probe_p99_us) / $(f fuse_alone_probe_max_us); disk $(f plain_probe_p50_us) / $(f plain_probe_p99_us) / $(f plain_probe_max_us)" \
    "" "" ""
  row "FUSE mount, dd bs=4k oflag=dsync, µs per write" "$(f fuse_on_4k_dsync_us)" \
    "ALONE $(f fuse_alone_4k_dsync_us); disk $(f plain_4k_dsync_us)" \
    "$(ratio "$(f fuse_alone_4k_dsync_us)" "$(f fuse_on_4k_dsync_us)"); disk $(ratio "$(f plain_4k_dsync_us)" "$(f fuse_on_4k_dsync_us)")" \
    "≥ 0.9× ALONE" "$(at_least "$(f fuse_alone_4k_dsync_us)" "0.9 * $(f fuse_on_4k_dsync_us)")"
  for pass in "" rewrite_; do
    row "reference: FUSE mount, each node on a core of its own, dd ${pass:+rewrite }1 MiB / 64 KiB, MB/s" \
      "$(f pinned_fuse_on_${pass}1024k_MBps) / $(f pinned_fuse_on_${pass}64k_MBps)" \
      "ALONE $(f pinned_fuse_alone_${pass}1024k_MBps) / $(f pinned_fuse_alone_${pass}64k_MBps)" \
      "$(ratio "$(f pinned_fuse_on_${pass}1024k_MBps)" "$(f pinned_fuse_alone_${pass}1024k_MBps)") / $(ratio "$(f pinned_fuse_on_${pass}64k_MBps)" "$(f pinned_fuse_alone_${pass}64k_MBps)")" "" ""
  done
  row "reference: FUSE mount, each node on a core of its own, dd bs=4k oflag=dsync, µs per write" "$(f pinned_fuse_on_4k_dsync_us)" \
    "ALONE $(f pinned_fuse_alone_4k_dsync_us)" "$(ratio "$(f pinned_fuse_alone_4k_dsync_us)" "$(f pinned_fuse_on_4k_dsync_us)")" "" ""
}

# fig[x_s] = the median of fig[x_runs] (each round of measure_reintegration adds one).
reintegration_medians() {
  local key
  for key in fast_reint fast_reint_itself fast_reint_seen rsync_stale rsync_stale_sync \
             full_reint full_reint_itself full_reint_seen rsync_empty rsync_empty_sync; do
    [ -n "${fig[${key}_runs]:-}" ] && fig[${key}_s]=$(median "${fig[${key}_runs]}")
  done
  return 0
}

reintegration_rows() {
  reintegration_medians
  row "fast reintegration ($files × 1 MiB, 10 rewritten + 2,000 × 4 KiB), s" "$(f fast_reint_s)" \
    "rsync $(f rsync_stale_s) (+ sync $(f rsync_stale_sync_s))" "$(ratio "$(f rsync_stale_s)" "$(f fast_reint_s)") faster" \
    "≥ 10× faster" "$(at_least "$(f rsync_stale_s)" "10 * $(f fast_reint_s)")"
  row "full reintegration ($files × 1 MiB, wiped secondary), s" "$(f full_reint_s)" \
    "rsync $(f rsync_empty_s) (+ sync $(f rsync_empty_sync_s))" "$(ratio "$(f full_reint_s)" "$(f rsync_empty_s)")" \
    "≤ 1.0×" "$(at_most "$(f full_reint_s)" "$(f rsync_empty_s)")"
}

rto_rows() {
  [ -n "${fig[rto_ms_list]:-}" ] || return 0
  local rto sp
  rto=$(median "${fig[rto_ms_list]}")
  sp=$(median "${fig[rto_start_prim_ms_list]}")
  row "RTO, power cut → VIP answers + start_prim done, median ms" "$rto" \
    "runs: ${fig[rto_ms_list]% } (start_prim done: median $sp)" "" "≤ 1500" "$(at_most "$rto" 1500)"
}

memory_rows() {
  row "daemon RSS idle, MiB (primary / secondary)" "$(f mem_primary_idle) / $(f mem_secondary_idle)" "" "" "≤ 30" \
    "$(at_most "$(larger "$(f mem_primary_idle)" "$(f mem_secondary_idle)")" 30)"
  row "daemon peak RSS under FUSE load (VmHWM), MiB" "$(f mem_primary_peak) / $(f mem_secondary_peak)" \
    "secondary under the core-API load: $(f mem_secondary_core_peak)" "" "" ""
  row "daemon RSS idle after $files MiB replicated, MiB" "$(f mem_primary_after_tree) / $(f mem_secondary_after_tree)" \
    "primary after the full reintegration: $(f mem_primary_after_full) (peak $(f mem_primary_peak_end)), 12 s later: $(f mem_primary_idle_after_full) / $(f mem_secondary_idle_after_full); secondary's peak: $(f mem_secondary_peak_full)" "" "no growth" \
    "$(at_most "$(f mem_primary_after_tree)" "$(f mem_primary_idle) + 5")"
}

print_table() {
  echo
  echo "hamirror benchmark suite, $(date -u +%Y-%m-%d) — $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), $(uname -r);" \
    "load average before / after: ${fig[load_before]} / ${fig[load_after]}"
  echo
  row "figure" "hamirror" "baseline (same run)" "ratio" "goal" "met"
  row "---" "---" "---" "---" "---" "---"
  throughput_rows
  latency_rows
  fuse_rows
  reintegration_rows
  rto_rows
  memory_rows
  cat <<EOF

What is measured:
- core API: hm_core_bench runs the primary's core::Node in-process on the libuv backend
  (hamirrord's wiring: same configuration mapping, authenticated link: HMAC handshake, GMAC records) and submits
  ${stream_mib} MiB of writes with Node::submit (up to 64 MiB in flight), then one fsync op; the
  secondary is a real \`hamirrord run\` on 127.0.0.1 (async="none": it acknowledges after
  writing). Time: first write to the fsync's completion on both copies. The pipeline does
  the same work in two processes with plain write(2)/TCP, fsync on both at the end.
  "Write into a new file": the file created (truncated) first, so the file system
  allocates every block, which on this kind of thin-provisioned disk bounds both sides
  (perf: waits on ext4's block bitmaps); "rewrite": right after, the same again over the
  same file, whose blocks stay allocated (a database's steady state).
  "Each node on a core of its own": the same runs under taskset, the primary (and the
  pipeline's sender) on core 0, the secondary (the receiver) on core 1, as two servers
  share no core; otherwise both daemons, their thread pools and the kernel's flushers
  share this machine's cores, and a hand-over between threads may have to wake another.
- 4 KiB write + fsync: the write and an fsync op submitted together, one at a time,
  timed to the fsync's completion; local fsync: pwrite + fsync(2); RTT: 1-byte TCP
  ping-pong on loopback. Side by side: the local loop in two processes at once, each on
  its own file, which is what two copies cost when one disk holds both: the floor of a
  replicated fsync on this machine, where the goal's baseline assumes a disk per node.
- 4 KiB writes beside a bulk writer (bench/suite/probe.py): one every 2 ms at random
  offsets of a 16 MiB file for ${probe_seconds} s while dd rewrites a 256 MiB file in the same
  directory, again and again; what a small writer waits while another streams.
- FUSE: dd through the primary's mount with the peer on loopback; "ALONE": the same
  daemon with the secondary stopped (hamirrord has no passthrough mode; ALONE still runs
  the activity record); disk: dd into a plain folder on the same file system. Each dd
  writes a new file, then the same file again (conv=notrunc). "Each node on a core of
  its own": the same dd runs with node1 under taskset on core 0 and node2 on core 1
  (dd wherever the scheduler puts it); its ALONE is node1 on core 0.
- reintegration: from the secondary's \`hamirrord run\` to the primary's PRIM (copies
  compared with diff -r after each); rsync -a --inplace between local folders (whole-file
  copies of every changed file, no fsync; "+ sync" adds the sync(1) after it). The page
  cache is dropped before each timed step. Each figure is the median of $repeats rounds
  (each round: hamirror, then rsync of the same change; --repeats), runs in seconds:
  fast $(f fast_reint_runs)vs rsync $(f rsync_stale_runs); full $(f full_reint_runs)vs rsync $(f rsync_empty_runs).
  hamirror: fast: $(f fast_reint_log); full: $(f full_reint_log).
  The end is the primary's "ALONE -> PRIM" as its log stamps it (the suite watches that
  log for the line, no polling; it saw it at: fast $(f fast_reint_seen_s) s, full $(f full_reint_seen_s) s); the reintegration itself,
  "begins" to "finished" in that log: fast $(f fast_reint_itself_s) s, full $(f full_reint_itself_s) s (runs: fast
  $(f fast_reint_itself_runs); full $(f full_reint_itself_runs)).
- RTO: namespaces on a bridge, kill -9 of the primary's daemon and its link down; the
  end is the first ARP reply for the VIP from the survivor's MAC, seen from a client
  namespace, after the survivor's start_prim finished.
EOF
}
