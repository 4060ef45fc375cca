#!/usr/bin/env bash
# End-to-end: a SQLite application on a real two-node hamirror cluster survives crashes,
# link cuts, packet loss and swaps without losing one acknowledged transaction.
#
# Usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]   (default 6; HAMIRROR_E2E_CYCLES
# in the environment overrides it, e.g. 20 under ctest; E2E_KEEP=1 keeps the work folder)
#
# Topology: namespaces hm-e2e-n1 (10.78.0.1), hm-e2e-n2 (.2), hm-e2e-c (client, .3) and
# hm-e2e-w (witness, .4), each with a veth to a bridge living in hm-e2e-br; the VIP
# 10.78.0.100 follows the primary. The daemons enter only the network namespace
# (nsenter --net), so their FUSE mounts stay visible here.
# The application: start_prim starts sqlite_service.py on the primary (TCP 7000 on every
# address, so on the VIP), which commits each transaction into a WAL database and a
# rollback-journal database in the FUSE mount and answers only after both COMMITs;
# stop_prim stops it. sqlite_client.py, in the client namespace, asks the VIP for
# transaction after transaction and records a number only when the answer was "ok".
#
# Cycles 1..CYCLES-1 run with the witness configured, the fault kinds in turn:
#   node crash   every process of the primary node killed with -9 and its link down (a
#                power cut); then "reboot": VIP gone, link up, daemon started afresh;
#   daemon crash kill -9 of hamirrord alone, restarted 100 ms later (a supervisor);
#   link cut     the primary's cable pulled (its bridge port down), daemons running: the
#                primary loses the lease and fences itself (VIP dropped, writes refused),
#                the other takes over; link back, the old primary returns as secondary;
#   packet loss  nftables drops 20 % of the primary's packets both ways for 5 s;
#   swap         a clean `hamirror swap`.
# The last cycle runs without a witness (the daemons restarted with a new configuration):
# a link cut lets both sides go ALONE, and a file written on the isolated side makes it a
# split brain (a side that acknowledged nothing alone would simply become the other's
# secondary); the link comes back, the admin
# runs `hamirror prim` on the side that served the client, the other is fully
# reintegrated; what the isolated side committed is counted (the client got none of it).
# The client's transactions that the isolated side acknowledged after the link came back,
# before the nodes saw the divergence, are counted apart (FINDING when not 0): the admin's
# prim discards them with the rest of that side's data.
# After each cycle: one PRIM + one SECOND within timeout + 30 s; every acknowledged
# transaction on the primary in both databases; PRAGMA integrity_check ok; both backing
# copies byte-identical; only the primary's MAC answers ARP for the VIP. `ip -ts monitor`
# logs prove the VIP was never held by both nodes while the witness was configured, and
# outside the split brain without it. Linux's own TCP timeouts are left as they are: the
# daemon bounds a silent peer's replication stream itself (TCP_USER_TIMEOUT, 10 s).
# Needs root, /dev/fuse, ip, nsenter, arping, nft, sqlite3, python3: otherwise exits 77
# (skip) — or 1 under CI=true, where a skipped end-to-end test is a failure.
set -euo pipefail

hamirrord=${1:?usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]}
hamirror=${2:?usage: sqlite_failover.sh HAMIRRORD HAMIRROR [CYCLES]}
cycles=${HAMIRROR_E2E_CYCLES:-${3:-6}}
here=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC  # ip -ts and date must print the same clock

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() { printf '[e2e %s] FAILED%s: %s\n' "$(date +%H:%M:%S.%3N)" "${doing:+ ($doing)}" "$*" >&2; exit 1; }
skip() {
  if [ "${CI:-}" = true ]; then fail "cannot run under CI: $* (CI must run the end-to-end test)"; fi
  echo "[e2e] SKIPPED: $*"
  exit 77
}

# --- prerequisites ---------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, FUSE mounts); run as root"
[ -e /dev/fuse ] || skip "/dev/fuse is missing (modprobe fuse)"
for tool in ip nsenter arping nft sqlite3 python3 fusermount3; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed (tools/install-deps.sh linux)"
done
[ -x "$hamirrord" ] || fail "hamirrord not found at $hamirrord"
[ -x "$hamirror" ] || fail "hamirror not found at $hamirror"
[[ "$cycles" =~ ^[1-9][0-9]*$ ]] || fail "CYCLES must be a positive number, got '$cycles'"

ns_br=hm-e2e-br; ns_c=hm-e2e-c; ns_w=hm-e2e-w
declare -A ns=([node1]=hm-e2e-n1 [node2]=hm-e2e-n2)
declare -A dev=([node1]=hme2e-n1 [node2]=hme2e-n2)
declare -A addr=([node1]=10.78.0.1 [node2]=10.78.0.2)
client_addr=10.78.0.3; witness_addr=10.78.0.4; witness_port=9020
vip=10.78.0.100; service_port=7000
pulse_ms=300; timeout_ms=3000
stable_bound_s=$(( timeout_ms / 1000 + 30 ))
loss_percent=20; loss_s=5
kinds=("node crash" "daemon crash" "link cut" "packet loss" "swap")
split_kind="split brain"

# --- cleanup, also of a run killed earlier ------------------------------------------------
remove_namespaces() {
  local n
  for n in hm-e2e-n1 hm-e2e-n2 hm-e2e-c hm-e2e-w hm-e2e-br; do
    [ -e "/var/run/netns/$n" ] || continue
    # Daemons, services and clients of a killed run still live in their namespace: they go first.
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
client_pid=""; witness_pid=""; monitor_pids=()
print_logs() {
  local n
  for n in node1 node2; do
    echo "----- $n module.log (last 40 lines) -----" >&2
    tail -n 40 "$work/$n/log/module.log" >&2 2>/dev/null || true
    echo "----- $n service.log (last 5 lines) -----" >&2
    tail -n 5 "$work/$n/service.log" >&2 2>/dev/null || true
  done
  echo "----- witness.log (last 10 lines) -----" >&2
  tail -n 10 "$work/witness.log" >&2 2>/dev/null || true
  echo "----- client.log (last 10 lines) -----" >&2
  tail -n 10 "$work/client.log" >&2 2>/dev/null || true
  echo "----- events.log (last 10 lines) -----" >&2
  tail -n 10 "$work/events.log" >&2 2>/dev/null || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$client_pid" ] && kill -KILL "$client_pid" 2>/dev/null || true
  local n
  for n in node1 node2; do [ -n "${pid[$n]:-}" ] && kill -TERM "${pid[$n]}" 2>/dev/null || true; done
  for n in node1 node2; do
    [ -n "${pid[$n]:-}" ] || continue
    for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid[$n]}" 2>/dev/null || true
  done
  [ -n "$witness_pid" ] && kill -KILL "$witness_pid" 2>/dev/null || true
  for n in "${monitor_pids[@]}"; do kill "$n" 2>/dev/null || true; done
  unmount_stale
  remove_namespaces
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then print_logs; fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "[e2e] kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the network -------------------------------------------------------------------------
log "network: $ns_br (bridge), ${ns[node1]} ${addr[node1]}, ${ns[node2]} ${addr[node2]}, $ns_c $client_addr, $ns_w $witness_addr (witness), VIP $vip"
for n in "$ns_br" "${ns[node1]}" "${ns[node2]}" "$ns_c" "$ns_w"; do ip netns add "$n"; ip -n "$n" link set lo up; done
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
attach "$ns_c" hme2e-c "$client_addr"
attach "$ns_w" hme2e-w "$witness_addr"

start_monitors() {  # phase: the VIP's comings and goings in each node namespace, timestamped
  local n
  for n in node1 node2; do
    ip -n "${ns[$n]}" -ts monitor link address >"$work/vip-$1-$n.log" 2>&1 &
    monitor_pids+=($!)
  done
}
stop_monitors() {
  sleep 0.3  # let ip monitor print the last change (the VIP's removal by a clean stop)
  local m
  for m in "${monitor_pids[@]}"; do kill "$m" 2>/dev/null || true; done
  monitor_pids=()
}
vip_verdict() {  # phase: fails when the VIP was held twice outside the phase's excused windows
  local report
  touch "$work/excused-$1"
  report=$(python3 "$here/vip_overlap.py" "$vip" "${dev[node1]}" "$work/vip-$1-node1.log" \
    "${dev[node2]}" "$work/vip-$1-node2.log" "$work/excused-$1") ||
    { echo "$report"; fail "the VIP was held by both nodes at once ($1; ip monitor logs in $work)"; }
  echo "$report" | sed "s/^/  [$1] /" >"$work/vip-report-$1"
}

# --- the configuration --------------------------------------------------------------------
"$hamirror" genkey --out "$work/cluster.key" >/dev/null 2>&1 || fail "hamirror genkey could not write $work/cluster.key"
write_scripts() {  # node
  local me=$1 module="$work/$1/mirror"
  # The application is started and stopped by the node, as in production. start_prim
  # returns once the service listens; a service left by a crash of this node is killed
  # first (its port and its dead mount). stop_prim stops this node's service and waits
  # until it closed its databases (bounded), so the mount can turn read-only.
  cat >"$module/bin/start_prim" <<SH
#!/bin/sh
pidfile="$work/$me/service.pid"
old=\$(cat "\$pidfile" 2>/dev/null)
if [ -n "\$old" ] && grep -qs sqlite_service "/proc/\$old/cmdline"; then
  kill -KILL "\$old"
  while kill -0 "\$old" 2>/dev/null; do sleep 0.02; done
fi
rm -f "$work/service.$me.status"
setsid python3 "$here/sqlite_service.py" "$work" $me $service_port </dev/null >>"$work/$me/service.log" 2>&1 &
echo \$! >"\$pidfile"
for i in \$(seq 100); do
  [ -s "$work/service.$me.status" ] && break
  sleep 0.05
done
[ -s "$work/service.$me.status" ] || { echo "start_prim: the SQLite service did not start within 5 s" >&2; exit 1; }
echo "\$(date +%s%3N) start_prim $me" >>"$work/events.log"
echo $me >"$work/primary.$me" && mv "$work/primary.$me" "$work/primary"
SH
  cat >"$module/bin/stop_prim" <<SH
#!/bin/sh
echo "\$(date +%s%3N) stop_prim $me \$1" >>"$work/events.log"
if [ "\$(cat "$work/primary" 2>/dev/null)" = $me ]; then
  echo none >"$work/primary.$me" && mv "$work/primary.$me" "$work/primary"
fi
pidfile="$work/$me/service.pid"
service=\$(cat "\$pidfile" 2>/dev/null)
[ -n "\$service" ] && grep -qs sqlite_service "/proc/\$service/cmdline" || exit 0
kill -TERM "\$service"
for i in \$(seq 100); do kill -0 "\$service" 2>/dev/null || exit 0; sleep 0.05; done
echo "stop_prim: the SQLite service did not stop within 5 s of SIGTERM: killed" >&2
kill -KILL "\$service"
SH
  chmod +x "$module/bin/start_prim" "$module/bin/stop_prim"
}
write_node() {  # node peer witness(yes|no)
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
  write_scripts "$me"
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
  if [ "$3" = yes ]; then
    printf '[witness]\naddresses = ["%s:%s"]\n' "$witness_addr" "$witness_port" >>"$work/$me.toml"
  fi
  "$hamirror" confcheck "$module/conf/userconfig.xml" "$work/$me.toml" >"$work/confcheck.out" 2>&1 ||
    fail "the test's own configuration of $me does not check: $(cat "$work/confcheck.out")"
}

# --- the witness ------------------------------------------------------------------------------
start_witness() {
  mkdir -p "$work/witness"
  cat >"$work/witness.toml" <<TOML
[witness]
listen = "$witness_addr"
port = $witness_port
nodes = ["node1", "node2"]
state_file = "$work/witness/epoch"
key_file = "$work/cluster.key"
TOML
  nsenter "--net=/var/run/netns/$ns_w" "$hamirrord" witness --config "$work/witness.toml" >>"$work/witness.log" 2>&1 &
  witness_pid=$!
  disown "$witness_pid"
  local deadline=$(( $(date +%s) + 5 ))
  until grep -q "witness for node1 and node2" "$work/witness.log" 2>/dev/null; do
    kill -0 "$witness_pid" 2>/dev/null || fail "the witness exited at start: $(tail -n 3 "$work/witness.log")"
    [ "$(date +%s)" -lt "$deadline" ] || fail "the witness did not say it listens within 5 s: $(tail -n 3 "$work/witness.log")"
    sleep 0.05
  done
}
stop_witness() {
  kill -TERM "$witness_pid"
  for _ in $(seq 100); do kill -0 "$witness_pid" 2>/dev/null || { witness_pid=""; return 0; }; sleep 0.05; done
  fail "the witness did not stop within 5 s of SIGTERM"
}

# --- daemons and states ------------------------------------------------------------------------
mount_of() { echo "$work/$1/mnt/srv/hm-e2e"; }
copy_of() { echo "$work/$1/state/data/0"; }
other() { [ "$1" = node1 ] && echo node2 || echo node1; }
mac_of() { ip -n "${ns[$1]}" -o link show "${dev[$1]}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
now_ms() { date +%s%3N; }
iso_now() { date +%Y-%m-%dT%H:%M:%S.%3N; }
start_daemon() {
  # Only the network namespace is entered: the FUSE mount stays visible on this host.
  nsenter "--net=/var/run/netns/${ns[$1]}" "$hamirrord" run --node "$work/$1.toml" \
    --module "$work/$1/mirror/conf/userconfig.xml" --mount-prefix "$work/$1/mnt" \
    >>"$work/$1/daemon.out" 2>&1 &
  pid[$1]=$!
  disown "${pid[$1]}"  # its kill -9 is the test's doing, not news for the shell
}
wait_gone() {  # pid what
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  fail "$2 (pid $1) survived kill -9 for 5 s"
}
kill_daemon() {
  kill -KILL "${pid[$1]}"
  wait_gone "${pid[$1]}" "$1's daemon"
}
kill_node() {  # every process of the node but this test's ip monitors: a power cut
  local p victims=()
  for p in $(ip netns pids "${ns[$1]}"); do
    [[ " ${monitor_pids[*]} " == *" $p "* ]] || victims+=("$p")
  done
  kill -KILL "${victims[@]}" 2>/dev/null || true  # one may have ended by itself meanwhile
  for p in "${victims[@]}"; do wait_gone "$p" "a process of $1"; done
}
stop_daemon() {  # clean stop (SIGTERM), bounded
  kill -TERM "${pid[$1]}"
  for _ in $(seq 200); do kill -0 "${pid[$1]}" 2>/dev/null || { unset "pid[$1]"; return 0; }; sleep 0.05; done
  fail "$1's daemon did not stop within 10 s of SIGTERM"
}
cli() {  # node verb...: the CLI inside the node's namespace (the control API is on its loopback)
  local node=$1; shift
  nsenter "--net=/var/run/netns/${ns[$node]}" "$hamirror" "$@" --node "$work/$node.toml"
}
state_of() {  # prints PRIM, SECOND, ALONE, WAIT, STOP or DOWN
  local code=0
  cli "$1" state >/dev/null 2>&1 || code=$?
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
start_prim_after() {  # since_ms: the ms from since_ms to the first start_prim after it, or nothing
  local at
  at=$(awk -v since="$1" '$2 == "start_prim" && $1 >= since { print $1; exit }' "$work/events.log" 2>/dev/null)
  [ -z "$at" ] || echo $(( at - $1 ))
}
wait_start_prim_after() {  # since_ms: prints the ms from since_ms to the first start_prim after it
  local deadline=$(( $(date +%s) + stable_bound_s )) took
  while [ "$(date +%s)" -lt "$deadline" ]; do
    took=$(start_prim_after "$1")
    if [ -n "$took" ]; then echo "$took"; return 0; fi
    sleep 0.05
  done
  fail "no start_prim within ${stable_bound_s} s of the fault"
}
bridge_port() { echo "b-${dev[$1]}"; }
cut_link() { ip -n "$ns_br" link set "$(bridge_port "$1")" down; }
mend_link() { ip -n "$ns_br" link set "$(bridge_port "$1")" up; }

# --- the client ------------------------------------------------------------------------------
acked_count() { wc -l <"$work/acked"; }
start_client() {
  : >"$work/acked"
  nsenter "--net=/var/run/netns/$ns_c" python3 "$here/sqlite_client.py" "$work" "$vip" "$service_port" \
    2>>"$work/client.log" &
  client_pid=$!
  disown "$client_pid"  # killed at the end or by cleanup: not news for the shell
}
let_it_write() {  # at least 30 more acknowledged transactions (bounded)
  local target=$(( $(acked_count) + 30 )) deadline=$(( $(date +%s) + 20 ))
  while [ "$(acked_count)" -lt "$target" ]; do
    kill -0 "$client_pid" 2>/dev/null || fail "the client died (see client.log)"
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the client got nothing acknowledged for 20 s from the VIP (application on $(primary_now); client.log: $(tail -n 1 "$work/client.log"))"
    sleep 0.05
  done
}

# --- the checks -----------------------------------------------------------------------------------
check_vip_answers() {  # primary: the client namespace reaches the VIP at the primary's MAC
  local mac deadline=$(( $(date +%s) + 5 ))
  mac=$(mac_of "$1")
  [ -n "$mac" ] || fail "cannot read the MAC address of ${dev[$1]} in ${ns[$1]}"
  # arping asks who has the VIP: exactly the primary must answer.
  until nsenter "--net=/var/run/netns/$ns_c" arping -c 1 -w 1 -I hme2e-c "$vip" >"$work/arping.out" 2>&1 &&
        grep -qi "reply from $vip \[$mac\]" "$work/arping.out" &&
        [ "$(grep -ci "reply from" "$work/arping.out")" -eq 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the client does not reach the VIP $vip at $1's MAC $mac within 5 s (arping: $(tr '\n' ' ' <"$work/arping.out"))"
    sleep 0.1
  done
}
hold_writes() {  # primary: the client sends nothing more and the service closed its databases
  touch "$work/hold"
  local deadline=$(( $(date +%s) + 5 ))
  until grep -qx idle "$work/client.status" 2>/dev/null && grep -qx closed "$work/service.$1.status" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the client ($(cat "$work/client.status" 2>/dev/null)) and $1's service ($(cat "$work/service.$1.status" 2>/dev/null)) did not pause within 5 s"
    sleep 0.025
  done
}
# The service may be opening the database (WAL recovery takes a lock for a moment): wait for it.
sql() { sqlite3 -cmd '.timeout 5000' "$@"; }
check_database() {  # primary file: every acknowledged transaction in it, integrity ok
  local db missing integrity
  db="$(mount_of "$1")/$2"
  sql "$db" 'SELECT n FROM t ORDER BY n' >"$work/present" || fail "cannot read $db on $1"
  # Transactions the isolated side of a split brain acknowledged were discarded by the
  # admin's choice: counted apart (split-acked), not lost by replication or failover.
  LC_ALL=C comm -23 <(LC_ALL=C sort "$work/acked") <(LC_ALL=C sort "$work/present") |
    LC_ALL=C comm -23 - <(LC_ALL=C sort "$work/split-acked") >"$work/missing"
  missing=$(wc -l <"$work/missing")
  [ "$missing" -eq 0 ] || fail "$missing acknowledged transactions are missing from $2 on $1 (e.g. $(head -3 "$work/missing" | tr '\n' ' '))"
  integrity=$(sql "$db" 'PRAGMA integrity_check')
  [ "$integrity" = ok ] || fail "PRAGMA integrity_check of $2 on $1: $integrity"
}
check_cluster() {  # primary
  check_vip_answers "$1"
  hold_writes "$1"
  check_database "$1" wal.db
  check_database "$1" journal.db
  # The service closed its connections: SQLite checkpointed and removed the WAL. The
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

# --- the faults ----------------------------------------------------------------------------------
# Each takes the primary, applies its fault at fault_ms (fault_iso), and leaves the
# cluster on its way back to PRIM + SECOND; it may set took_ms (fault -> start_prim on
# the new primary), else run_cycle looks for a start_prim after the fault.
fault_node_crash() {
  local victim=$1 survivor
  survivor=$(other "$1")
  log "cycle $cycle: node crash of $victim (link down, every process killed -9), then reboot"
  # A power cut: the link goes first, so no FIN or RST of the dying processes gets out.
  ip -n "${ns[$victim]}" link set "${dev[$victim]}" down
  kill_node "$victim"
  took_ms=$(wait_start_prim_after "$fault_ms")
  wait_state "$survivor" ALONE
  let_it_write
  log "  reboot of $victim: its addresses reset (the VIP is gone), link up, daemon started afresh"
  # A reboot forgets addresses added at run time: the VIP it held goes with them.
  ip -n "${ns[$victim]}" addr del "$vip/24" dev "${dev[$victim]}" 2>/dev/null || true
  ip -n "${ns[$victim]}" link set "${dev[$victim]}" up
  start_daemon "$victim"
}
fault_daemon_crash() {
  local victim=$1
  log "cycle $cycle: daemon crash of $victim (kill -9 of hamirrord alone), restarted 100 ms later"
  kill_daemon "$victim"
  sleep 0.1  # a supervisor's restart delay (systemd RestartSec)
  start_daemon "$victim"
  took_ms=$(wait_start_prim_after "$fault_ms")
}
fault_link_cut() {  # with the witness: the cut-off primary fences itself before the other takes over
  local victim=$1 survivor fenced_ms
  survivor=$(other "$1")
  log "cycle $cycle: link cut of $victim (its bridge port down, daemons running), witness reachable from $survivor only"
  cut_link "$victim"
  wait_state "$victim" WAIT
  fenced_ms=$(( $(now_ms) - fault_ms ))
  took_ms=$(wait_start_prim_after "$fault_ms")
  wait_state "$survivor" ALONE
  [ "$(state_of "$victim")" = WAIT ] || fail "$victim left WAIT while cut off ($(state_of "$victim")): it must wait for $survivor"
  log "  $victim fenced (WAIT, lease lost) after ~$fenced_ms ms; $survivor ALONE after $took_ms ms"
  let_it_write
  log "  link of $victim back: it must return as $survivor's secondary"
  mend_link "$victim"
}
fault_packet_loss() {
  local victim=$1 before device
  device=${dev[$1]}; before=$(acked_count)
  log "cycle $cycle: ${loss_percent} % packet loss both ways on $victim for ${loss_s} s (nftables)"
  ip netns exec "${ns[$victim]}" nft -f - <<NFT || fail "nft could not add the packet loss rules in ${ns[$victim]}"
table inet hm_e2e {
  chain loss_in { type filter hook input priority 0; policy accept; iifname "$device" numgen random mod 100 < $loss_percent drop; }
  chain loss_out { type filter hook output priority 0; policy accept; oifname "$device" numgen random mod 100 < $loss_percent drop; }
}
NFT
  sleep "$loss_s"  # the fault's duration, not a wait for a condition
  ip netns exec "${ns[$victim]}" nft delete table inet hm_e2e || fail "nft could not remove the packet loss rules in ${ns[$victim]}"
  log "  loss removed: $(( $(acked_count) - before )) transactions acknowledged during it"
}
fault_swap() {
  local victim=$1
  log "cycle $cycle: clean swap from $victim"
  cli "$victim" swap >>"$work/swap.out" 2>&1 || fail "hamirror swap on $victim failed: $(tail -n 2 "$work/swap.out")"
  took_ms=$(wait_start_prim_after "$fault_ms")
}
whose_mac_for_vip() {  # the node whose MAC the client's ARP entry for the VIP names
  local mac
  mac=$(ip -n "$ns_c" neigh show "$vip" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
  if [ -z "$mac" ]; then echo "no MAC (no ARP entry)"
  elif [ "$mac" = "$(mac_of node1)" ]; then echo "node1's MAC"
  elif [ "$mac" = "$(mac_of node2)" ]; then echo "node2's MAC"
  else echo "an unknown MAC $mac"; fi
}
wait_split_brain_seen() {  # bounded: one of the nodes logged the divergence
  local deadline=$(( $(date +%s) + stable_bound_s ))
  until grep -qs "SPLIT BRAIN DETECTED" "$work/node1/log/module.log" "$work/node2/log/module.log"; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "the nodes met again but neither detected the split brain within ${stable_bound_s} s (node1 $(state_of node1), node2 $(state_of node2))"
    sleep 0.1
  done
}
admin_prim() {  # node: the admin's prim, retried while the nodes are still meeting (bounded)
  local deadline=$(( $(date +%s) + stable_bound_s ))
  until cli "$1" prim >"$work/prim.out" 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "hamirror prim on $1 refused for ${stable_bound_s} s: $(tail -n 2 "$work/prim.out")"
    sleep 0.5
  done
  log "  admin: hamirror prim on $1: $(tr '\n' ' ' <"$work/prim.out")"
}
fault_split_brain() {  # without a witness: both sides go ALONE; the admin settles it
  local victim=$1 survivor mend_ms winner_db window_start
  survivor=$(other "$1")
  log "cycle $cycle: link cut of $victim WITHOUT a witness: both sides may go ALONE (split brain)"
  window_start=$fault_iso
  cut_link "$victim"
  took_ms=$(wait_start_prim_after "$fault_ms")
  wait_state "$survivor" ALONE
  wait_state "$victim" ALONE
  log "  split brain: $victim ALONE cut off with the VIP, $survivor ALONE serving the client (after $took_ms ms)"
  # A write on the isolated side too (a job of its own application, say), acknowledged
  # alone there: that makes the meeting a split brain. A side that acknowledged nothing
  # alone is none: it becomes the other's secondary by itself (seed 55793).
  echo "written on $victim while it was cut off" >"$(mount_of "$victim")/cut-off-write" ||
    fail "cannot write into the isolated $victim's replicated directory"
  let_it_write
  log "  link of $victim back: the nodes meet, see the divergence, wait for the admin"
  mend_ms=$(now_ms)
  mend_link "$victim"
  wait_split_brain_seen
  log "  states after the meeting: $victim $(state_of "$victim"), $survivor $(state_of "$survivor"); the client reaches the VIP at $(whose_mac_for_vip)"
  admin_prim "$survivor"
  primary=$(wait_stable)
  [ "$primary" = "$survivor" ] || fail "the admin chose $survivor but $primary is PRIM"
  [ ! -e "$(mount_of "$survivor")/cut-off-write" ] || fail "the loser's write survived the admin's choice on $survivor"
  echo "$window_start $(iso_now) split brain (no witness)" >>"$work/excused-nowitness"
  # What the cut-off side committed that the winner does not have, discarded by the
  # admin's prim. While cut off it can answer nobody: the client's requests go to the VIP
  # on the bridge side. Once the link is back and until the nodes see the divergence,
  # both hold the VIP and the client may land on it (FINDING, reported to the lead).
  winner_db="$(mount_of "$survivor")/wal.db"
  sql "$winner_db" 'SELECT n FROM t' | LC_ALL=C sort >"$work/winner" || fail "cannot read $winner_db on $survivor"
  LC_ALL=C sort -k1,1 "$work/$victim/service-committed" >"$work/victim-committed"
  LC_ALL=C join -v 1 "$work/victim-committed" "$work/winner" >"$work/discarded"  # "N ms" lines
  split_discarded=$(wc -l <"$work/discarded")
  LC_ALL=C join "$work/discarded" <(LC_ALL=C sort "$work/acked") >"$work/discarded-acked"
  split_acked=$(wc -l <"$work/discarded-acked")
  log "  the isolated $victim committed $split_discarded transactions that $survivor does not have (discarded by the admin's prim); the client had $split_acked of them acknowledged"
  if [ "$split_acked" -gt 0 ]; then
    local early
    early=$(awk -v back="$mend_ms" '$2 < back' "$work/discarded-acked" | wc -l)
    [ "$early" -eq 0 ] ||
      fail "the client got $early transactions acknowledged by $victim while it was cut off (e.g. $(head -3 "$work/discarded-acked" | cut -d' ' -f1 | tr '\n' ' '))"
    log "  FINDING: those $split_acked were committed $(awk -v back="$mend_ms" 'NR == 1 { min = $2 } { if ($2 < min) min = $2; if ($2 > max) max = $2 } END { print min - back " to " max - back }' "$work/discarded-acked") ms after the link came back, before the nodes saw the divergence (both held the VIP)"
  fi
  cut -d' ' -f1 "$work/discarded-acked" >>"$work/split-acked"
}

# --- the run -------------------------------------------------------------------------------------
declare -A took_by_kind=() count_by_kind=() kept_by_kind=()
split_discarded=0; split_acked=0
: >"$work/split-acked"
record() {  # kind took_ms
  count_by_kind[$1]=$(( ${count_by_kind[$1]:-0} + 1 ))
  if [ -n "$2" ]; then took_by_kind[$1]="${took_by_kind[$1]:-} $2"; else kept_by_kind[$1]=$(( ${kept_by_kind[$1]:-0} + 1 )); fi
}
run_cycle() {  # kind
  local victim=$primary
  took_ms=""; fault_ms=$(now_ms); fault_iso=$(iso_now); doing="cycle $cycle of $cycles: $1 of $victim"
  case $1 in
    "node crash") fault_node_crash "$victim" ;;
    "daemon crash") fault_daemon_crash "$victim" ;;
    "link cut") fault_link_cut "$victim" ;;
    "packet loss") fault_packet_loss "$victim" ;;
    "swap") fault_swap "$victim" ;;
    "$split_kind") fault_split_brain "$victim" ;;
  esac
  [ "$1" = "$split_kind" ] || primary=$(wait_stable)
  # Packet loss need not move the primary; if it did, the time is counted like the others.
  [ -n "$took_ms" ] || took_ms=$(start_prim_after "$fault_ms")
  record "$1" "$took_ms"
  if [ -n "$took_ms" ]; then
    log "  application on $primary $took_ms ms after the fault; $(other "$primary") is SECOND"
  else
    log "  $primary stayed primary; $(other "$primary") is SECOND"
  fi
  check_cluster "$primary"
}

doing="starting the cluster with the witness"
log "phase 1: with the witness at $witness_addr:$witness_port (pulse ${pulse_ms} ms, timeout ${timeout_ms} ms)"
start_monitors witness
start_witness
write_node node1 node2 yes
write_node node2 node1 yes
: >"$work/events.log"
start_daemon node1
start_daemon node2
primary=$(wait_stable)
log "$primary is PRIM, $(other "$primary") is SECOND"
start_client
let_it_write
check_cluster "$primary"
doing=""
for (( cycle = 1; cycle < cycles; cycle++ )); do
  let_it_write
  run_cycle "${kinds[$(( (cycle - 1) % ${#kinds[@]} ))]}"
done

log "phase 2: the daemons restarted without a witness"
doing="restarting the cluster without the witness"
hold_writes "$primary"
stop_daemon "$(other "$primary")"
stop_daemon "$primary"
stop_witness
stop_monitors
vip_verdict witness
start_monitors nowitness
write_node node1 node2 no
write_node node2 node1 no
start_daemon node1
start_daemon node2
primary=$(wait_stable)
rm -f "$work/hold"
log "$primary is PRIM, $(other "$primary") is SECOND"
let_it_write
check_cluster "$primary"
cycle=$cycles
let_it_write
run_cycle "$split_kind"

# --- the end ---------------------------------------------------------------------------------------
doing="stopping the cluster"
kill -KILL "$client_pid"; client_pid=""
stop_daemon node1
stop_daemon node2
stop_monitors
vip_verdict nowitness

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "===== end-to-end SQLite failover: summary ====="
echo "cycles: $cycles ($(( cycles - 1 )) with the witness, the kinds in turn; then 1 split brain without it)"
echo "transactions acknowledged: $(acked_count), lost to a fault: 0 (every one on the primary after every cycle)$(
  [ "$split_acked" -eq 0 ] || echo "; $split_acked discarded with the losing side of the split brain, by the admin's choice")"
all=()
for kind in "${kinds[@]}" "$split_kind"; do
  [ -n "${count_by_kind[$kind]:-}" ] || continue
  read -r -a t <<<"${took_by_kind[$kind]:-}"
  line="$kind: ${count_by_kind[$kind]} cycles"
  if [ "${#t[@]}" -gt 0 ]; then
    all+=("${t[@]}")
    line+=", fault -> start_prim on the new primary: min $(printf '%s\n' "${t[@]}" | sort -n | head -1) ms, median $(median "${t[@]}") ms, max $(printf '%s\n' "${t[@]}" | sort -n | tail -1) ms"
  fi
  [ -z "${kept_by_kind[$kind]:-}" ] || line+=", primary kept ${kept_by_kind[$kind]} times (no failover)"
  echo "  $line"
done
if [ "${#all[@]}" -gt 0 ]; then
  echo "failover, all kinds: min $(printf '%s\n' "${all[@]}" | sort -n | head -1) ms, median $(median "${all[@]}") ms, max $(printf '%s\n' "${all[@]}" | sort -n | tail -1) ms"
fi
echo "VIP holders from ip -ts monitor (with the witness, then without):"
cat "$work/vip-report-witness" "$work/vip-report-nowitness"
echo "split brain (no witness): the isolated side committed $split_discarded transactions the winner does not have, discarded by the admin's prim; the client had $split_acked of them acknowledged (only after the link came back: FINDING when not 0)"
