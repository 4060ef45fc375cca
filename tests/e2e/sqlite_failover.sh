#!/usr/bin/env bash
# End-to-end: a SQLite application on a real two-node hamirror cluster survives crashes
# and swaps without losing one acknowledged transaction.
#
# Usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]   (default 6 cycles; E2E_KEEP=1 keeps the work folder)
#
# Topology: namespaces hm-e2e-n1 (10.78.0.1), hm-e2e-n2 (.2), hm-e2e-c (client, .3), each
# with a veth to a bridge living in hm-e2e-br; the VIP 10.78.0.100 follows the primary.
# The daemons enter only the network namespace (nsenter --net), so their FUSE mounts stay
# visible here. The application (sqlite_client.py) writes through the primary's mount;
# start_prim points it at its node, stop_prim takes it away and waits until it let go.
# Cycle i applies fault (a) node crash: kill -9 + link down, then reboot; (b) daemon crash
# only: kill -9, restarted at once as a supervisor would; (c) a clean `hamirror swap`.
# After each: one PRIM + one SECOND within timeout + 30 s; every acknowledged transaction on
# the primary, in a WAL database and in a rollback-journal one; PRAGMA integrity_check ok;
# both backing copies byte-identical; from the client namespace, only the primary's MAC
# answers ARP for the VIP. At the end `ip -ts monitor` logs prove the VIP was never held twice outside (b) cycles.
# Needs root, /dev/fuse, ip, nsenter, arping, sqlite3, python3: otherwise exits 77 (skip) — or 1
# under CI=true, where a skipped end-to-end test is a failure.
set -euo pipefail

hamirrord=${1:?usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]}
hamirror=${2:?usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]}
cycles=${3:-6}
here=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC  # ip -ts and date must print the same clock

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() { printf '[e2e] FAILED: %s\n' "$*" >&2; exit 1; }
skip() {
  if [ "${CI:-}" = true ]; then fail "cannot run under CI: $* (CI must run the end-to-end test)"; fi
  echo "[e2e] SKIPPED: $*"
  exit 77
}

# --- prerequisites ---------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, FUSE mounts); run as root"
[ -e /dev/fuse ] || skip "/dev/fuse is missing (modprobe fuse)"
for tool in ip nsenter arping sqlite3 python3 fusermount3; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed (tools/install-deps.sh linux)"
done
[ -x "$hamirrord" ] || fail "hamirrord not found at $hamirrord"
[ -x "$hamirror" ] || fail "hamirror not found at $hamirror"
[[ "$cycles" =~ ^[1-9][0-9]*$ ]] || fail "CYCLES must be a positive number, got '$cycles'"

ns_br=hm-e2e-br; ns_c=hm-e2e-c
declare -A ns=([node1]=hm-e2e-n1 [node2]=hm-e2e-n2)
declare -A dev=([node1]=hme2e-n1 [node2]=hme2e-n2)
declare -A addr=([node1]=10.78.0.1 [node2]=10.78.0.2)
vip=10.78.0.100
pulse_ms=300; timeout_ms=3000
stable_bound_s=$(( timeout_ms / 1000 + 30 ))

# --- cleanup, also of a run killed earlier ------------------------------------------------
remove_namespaces() {
  local n
  for n in hm-e2e-n1 hm-e2e-n2 hm-e2e-c hm-e2e-br; do
    [ -e "/var/run/netns/$n" ] || continue
    # Daemons of a killed run still live in their namespace: they go first.
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
}
unmount_stale() {  # FUSE mounts under work folders of this test (this run's or a killed one's)
  local m
  awk '$2 ~ /^\/tmp\/hm-e2e\./ { print $2 }' /proc/mounts | while read -r m; do
    fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}
remove_namespaces
unmount_stale
rm -rf /tmp/hm-e2e.*  # work folders of killed runs (their mounts are gone now)

work=$(mktemp -d /tmp/hm-e2e.XXXXXX)
declare -A pid=()
writer_pid=""; monitor_pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$writer_pid" ] && kill -KILL "$writer_pid" 2>/dev/null || true
  local n
  for n in node1 node2; do [ -n "${pid[$n]:-}" ] && kill -TERM "${pid[$n]}" 2>/dev/null || true; done
  for n in node1 node2; do
    [ -n "${pid[$n]:-}" ] || continue
    for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid[$n]}" 2>/dev/null || true
  done
  for n in "${monitor_pids[@]}"; do kill "$n" 2>/dev/null || true; done
  unmount_stale
  remove_namespaces
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    for n in node1 node2; do
      echo "----- $n module.log (last 30 lines) -----" >&2
      tail -n 30 "$work/$n/log/module.log" >&2 2>/dev/null || true
    done
    echo "----- writer.log (last 10 lines) -----" >&2
    tail -n 10 "$work/writer.log" >&2 2>/dev/null || true
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "[e2e] kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the network -------------------------------------------------------------------------
log "network: $ns_br (bridge), ${ns[node1]} ${addr[node1]}, ${ns[node2]} ${addr[node2]}, $ns_c 10.78.0.3, VIP $vip"
for n in "$ns_br" "${ns[node1]}" "${ns[node2]}" "$ns_c"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$ns_br" link add br0 type bridge
ip -n "$ns_br" link set br0 up
attach() {  # namespace device address: a veth from the namespace to the bridge
  ip link add "$2" netns "$1" type veth peer name "b-$2" netns "$ns_br"
  ip -n "$ns_br" link set "b-$2" master br0 up
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$1" link set "$2" up
}
attach "${ns[node1]}" "${dev[node1]}" "${addr[node1]}"
attach "${ns[node2]}" "${dev[node2]}" "${addr[node2]}"
attach "$ns_c" hme2e-c 10.78.0.3
for n in node1 node2; do
  ip -n "${ns[$n]}" -ts monitor link address >"$work/vip-$n.log" 2>&1 &
  monitor_pids+=($!)
done

# --- the configuration --------------------------------------------------------------------
"$hamirror" genkey --out "$work/cluster.key" >/dev/null 2>&1 || fail "hamirror genkey could not write $work/cluster.key"
write_node() {  # node peer
  local me=$1 peer=$2 module="$work/$1/mirror"
  mkdir -p "$module/conf" "$module/bin" "$work/$me/state" "$work/$me/log" "$work/$me/mnt"
  cat >"$module/conf/userconfig.xml" <<XML
<safe>
  <service mode="mirror" defaultprim="alone" failover="on">
    <heart pulse="$pulse_ms" timeout="$timeout_ms"><heartbeat name="default" ident="flow"/></heart>
    <vip><interface_list><interface check="on" arpreroute="on"><real_interface>
      <virtual_addr addr="$vip" where="one_side_alias"/></real_interface></interface></interface_list></vip>
    <rfs async="none"><replicated dir="/srv/hm-e2e" mode="read_only"/></rfs>
  </service>
</safe>
XML
  # The application is started and stopped by the node, as in production: start_prim
  # points the client at this node's mount; stop_prim takes it away and waits until the
  # client closed its database (bounded), so the mount can turn read-only.
  cat >"$module/bin/start_prim" <<SH
#!/bin/sh
echo "\$(date +%s%3N) start_prim $me" >>"$work/events.log"
echo $me >"$work/primary.$me" && mv "$work/primary.$me" "$work/primary"
SH
  cat >"$module/bin/stop_prim" <<SH
#!/bin/sh
echo "\$(date +%s%3N) stop_prim $me" >>"$work/events.log"
[ "\$(cat "$work/primary" 2>/dev/null)" = $me ] || exit 0
echo none >"$work/primary.$me" && mv "$work/primary.$me" "$work/primary"
for i in \$(seq 100); do grep -qx idle "$work/writer.status" 2>/dev/null && exit 0; sleep 0.05; done
echo "stop_prim: the client did not close the database within 5 s" >&2
SH
  chmod +x "$module/bin/start_prim" "$module/bin/stop_prim"
  cat >"$work/$me.toml" <<TOML
[node]
name = "$me"
state_dir = "$work/$me/state"
log_dir = "$work/$me/log"
key_file = "$work/cluster.key"
[peer]
name = "$peer"
[networks.default]
node = "${addr[$me]}"
peer = "${addr[$peer]}"
TOML
  "$hamirror" confcheck "$module/conf/userconfig.xml" "$work/$me.toml" >/dev/null ||
    fail "the test's own configuration of $me does not check"
}
write_node node1 node2
write_node node2 node1

# --- daemons and states ------------------------------------------------------------------------
mount_of() { echo "$work/$1/mnt/srv/hm-e2e"; }
copy_of() { echo "$work/$1/state/data/0"; }
other() { [ "$1" = node1 ] && echo node2 || echo node1; }
now_ms() { date +%s%3N; }
start_daemon() {
  # Only the network namespace is entered: the FUSE mount stays visible on this host.
  nsenter "--net=/var/run/netns/${ns[$1]}" "$hamirrord" run --node "$work/$1.toml" \
    --module "$work/$1/mirror/conf/userconfig.xml" --mount-prefix "$work/$1/mnt" \
    >>"$work/$1/daemon.out" 2>&1 &
  pid[$1]=$!
  disown "${pid[$1]}"  # its kill -9 is the test's doing, not news for the shell
}
kill_daemon() {
  kill -KILL "${pid[$1]}"
  for _ in $(seq 100); do kill -0 "${pid[$1]}" 2>/dev/null || return 0; sleep 0.05; done
  fail "$1's daemon (pid ${pid[$1]}) survived kill -9 for 5 s"
}
state_of() {  # prints PRIM, SECOND, ALONE, WAIT, STOP or DOWN
  local code=0
  nsenter "--net=/var/run/netns/${ns[$1]}" "$hamirror" state --node "$work/$1.toml" >/dev/null 2>&1 || code=$?
  case $code in 0) echo STOP;; 1) echo WAIT;; 2) echo ALONE;; 3) echo PRIM;; 4) echo SECOND;; *) echo DOWN;; esac
}
primary_now() { cat "$work/primary" 2>/dev/null || echo none; }
wait_stable() {  # one PRIM whose start_prim has run, one SECOND; prints the primary
  local deadline=$(( $(date +%s) + stable_bound_s )) s1 s2
  while [ "$(date +%s)" -lt "$deadline" ]; do
    s1=$(state_of node1); s2=$(state_of node2)
    if [ "$s1/$s2" = PRIM/SECOND ] && [ "$(primary_now)" = node1 ]; then echo node1; return 0; fi
    if [ "$s1/$s2" = SECOND/PRIM ] && [ "$(primary_now)" = node2 ]; then echo node2; return 0; fi
    sleep 0.2
  done
  fail "no PRIM + SECOND within ${stable_bound_s} s (timeout + 30 s): node1 $s1, node2 $s2, application on $(primary_now)"
}
wait_state() {  # node state: bounded by the liveness bound
  local deadline=$(( $(date +%s) + stable_bound_s ))
  while [ "$(date +%s)" -lt "$deadline" ]; do [ "$(state_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "$1 did not reach $2 within ${stable_bound_s} s (it is $(state_of "$1"))"
}
wait_start_prim_after() {  # since_ms: prints the ms from since_ms to the first start_prim after it
  local deadline=$(( $(date +%s) + stable_bound_s )) at
  while [ "$(date +%s)" -lt "$deadline" ]; do
    at=$(awk -v since="$1" '$2 == "start_prim" && $1 >= since { print $1; exit }' "$work/events.log" 2>/dev/null)
    if [ -n "$at" ]; then echo $(( at - $1 )); return 0; fi
    sleep 0.05
  done
  fail "no start_prim within ${stable_bound_s} s of the fault"
}

log "starting both daemons (pulse ${pulse_ms} ms, timeout ${timeout_ms} ms)"
: >"$work/events.log"
start_daemon node1
start_daemon node2
primary=$(wait_stable)
log "$primary is PRIM, $(other "$primary") is SECOND"

# --- the application ---------------------------------------------------------------------------
: >"$work/acked"
python3 "$here/sqlite_client.py" "$work" 2>>"$work/writer.log" &
writer_pid=$!
disown "$writer_pid"  # killed at the end or by cleanup: not news for the shell
acked_count() { wc -l <"$work/acked"; }
let_it_write() {  # at least 30 more acknowledged transactions (bounded)
  local target=$(( $(acked_count) + 30 )) deadline=$(( $(date +%s) + 20 ))
  while [ "$(acked_count)" -lt "$target" ]; do
    kill -0 "$writer_pid" 2>/dev/null || fail "the client died (see writer.log)"
    [ "$(date +%s)" -lt "$deadline" ] || fail "the client acknowledged nothing for 20 s on $(primary_now) (writer.log: $(tail -n 1 "$work/writer.log"))"
    sleep 0.05
  done
}

# --- the checks -----------------------------------------------------------------------------------
check_vip_answers() {  # primary: the client namespace reaches the VIP at the primary's MAC
  local mac deadline=$(( $(date +%s) + 5 ))
  mac=$(ip -n "${ns[$1]}" -o link show "${dev[$1]}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
  [ -n "$mac" ] || fail "cannot read the MAC address of ${dev[$1]} in ${ns[$1]}"
  # arping asks who has the VIP: exactly the primary must answer.
  until ip netns exec "$ns_c" arping -c 1 -w 1 -I hme2e-c "$vip" >"$work/arping.out" 2>&1 &&
        grep -qi "reply from $vip \[$mac\]" "$work/arping.out" &&
        [ "$(grep -ci "reply from" "$work/arping.out")" -eq 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the client does not reach the VIP $vip at $1's MAC $mac within 5 s (arping: $(tr '\n' ' ' <"$work/arping.out"))"
    sleep 0.1
  done
}
hold_writer() {
  touch "$work/hold"
  for _ in $(seq 200); do grep -qx idle "$work/writer.status" 2>/dev/null && return 0; sleep 0.025; done
  fail "the client did not pause within 5 s"
}
check_database() {  # primary file: every acknowledged transaction in it, integrity ok
  local db missing integrity
  db="$(mount_of "$1")/$2"
  sqlite3 "$db" 'SELECT n FROM t ORDER BY n' >"$work/present" || fail "cannot read $db on $1"
  LC_ALL=C comm -23 <(LC_ALL=C sort "$work/acked") <(LC_ALL=C sort "$work/present") >"$work/missing"
  missing=$(wc -l <"$work/missing")
  [ "$missing" -eq 0 ] || fail "$missing acknowledged transactions are missing from $2 on $1 (e.g. $(head -3 "$work/missing" | tr '\n' ' '))"
  integrity=$(sqlite3 "$db" 'PRAGMA integrity_check')
  [ "$integrity" = ok ] || fail "PRAGMA integrity_check of $2 on $1: $integrity"
}
check_cluster() {  # primary
  check_vip_answers "$1"
  hold_writer
  check_database "$1" wal.db
  check_database "$1" journal.db
  # The client closed its connections: SQLite checkpointed and removed the WAL. The
  # secondary applies what is still in flight within moments: poll, bounded.
  local deadline=$(( $(date +%s) + 10 ))
  until diff -r "$(copy_of node1)" "$(copy_of node2)" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the copies differ 10 s after reintegration: $(diff -rq "$(copy_of node1)" "$(copy_of node2)" 2>&1 | head -3)"
    sleep 0.1
  done
  rm -f "$work/hold"
  log "  checked: $(acked_count) acknowledged, all in wal.db and journal.db on $1; VIP answers from $1; integrity ok; copies identical ($(du -sb "$(copy_of "$1")" | cut -f1) bytes)"
}

# --- the cycles -----------------------------------------------------------------------------------
failover_ms=()
: >"$work/excused"
iso_now() { date +%Y-%m-%dT%H:%M:%S.%6N; }
let_it_write
check_cluster "$primary"
for (( cycle = 1; cycle <= cycles; cycle++ )); do
  let_it_write
  victim=$primary
  fault_ms=$(now_ms)
  case $(( (cycle - 1) % 3 )) in
    0)
      log "cycle $cycle: node crash of $victim (kill -9, link down), then reboot"
      kill_daemon "$victim"
      ip -n "${ns[$victim]}" link set "${dev[$victim]}" down
      took=$(wait_start_prim_after "$fault_ms")
      wait_state "$(other "$victim")" ALONE
      let_it_write
      log "  reboot of $victim: its addresses reset (the VIP is gone), link up, daemon started afresh"
      # A reboot forgets addresses added at run time: the VIP it held goes with them.
      ip -n "${ns[$victim]}" addr del "$vip/24" dev "${dev[$victim]}" 2>/dev/null || true
      ip -n "${ns[$victim]}" link set "${dev[$victim]}" up
      start_daemon "$victim"
      ;;
    1)
      log "cycle $cycle: daemon crash of $victim (kill -9), restarted at once"
      window_start=$(iso_now)
      kill_daemon "$victim"
      sleep 0.1  # a supervisor's restart delay (systemd RestartSec=100ms)
      start_daemon "$victim"
      took=$(wait_start_prim_after "$fault_ms")
      ;;
    2)
      log "cycle $cycle: clean swap from $victim"
      nsenter "--net=/var/run/netns/${ns[$victim]}" "$hamirror" swap --node "$work/$victim.toml" >>"$work/swap.out" 2>&1 ||
        fail "hamirror swap on $victim failed: $(tail -n 2 "$work/swap.out")"
      took=$(wait_start_prim_after "$fault_ms")
      ;;
  esac
  failover_ms+=("$took")
  primary=$(wait_stable)
  [ "$(( (cycle - 1) % 3 ))" -eq 1 ] && echo "$window_start $(iso_now)" >>"$work/excused"
  log "  application back on $primary $took ms after the fault; $(other "$primary") is SECOND again"
  check_cluster "$primary"
done

# --- the end ---------------------------------------------------------------------------------------
kill -KILL "$writer_pid"; writer_pid=""
for n in node1 node2; do kill -TERM "${pid[$n]}"; done
for n in node1 node2; do
  for _ in $(seq 100); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
  kill -0 "${pid[$n]}" 2>/dev/null && fail "$n's daemon did not stop within 10 s of SIGTERM"
done
pid=()
sleep 0.3  # let ip monitor print the VIP's removal by the clean stop
for n in "${monitor_pids[@]}"; do kill "$n" 2>/dev/null || true; done
monitor_pids=()
vip_report=$(python3 "$here/vip_overlap.py" "$vip" "${dev[node1]}" "$work/vip-node1.log" \
  "${dev[node2]}" "$work/vip-node2.log" "$work/excused") || { echo "$vip_report"; fail "the VIP was held by both nodes at once"; }

sorted=($(printf '%s\n' "${failover_ms[@]}" | sort -n))
count=${#sorted[@]}
total=$(acked_count)
echo
echo "===== end-to-end SQLite failover: summary ====="
echo "cycles: $cycles (node crash, daemon crash, swap in turn; the issue asks for 20: give 20 as CYCLES for all of them)"
echo "transactions acknowledged: $total, lost: 0"
echo "failover (fault -> start_prim on the new primary): min ${sorted[0]} ms, median ${sorted[$(( count / 2 ))]} ms, max ${sorted[$(( count - 1 ))]} ms"
echo "$vip_report"
