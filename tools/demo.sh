#!/usr/bin/env bash
# The main job: a real two-node hamirror cluster on this one machine.
#
# Builds hamirrord and hamirror if needed (release preset), then:
#   1. starts two daemons — as root in two network namespaces joined by a veth pair,
#      with a virtual IP; otherwise on two loopback ports (no VIP);
#   2. a small application writes numbered lines into the replicated directory
#      through the primary's FUSE mount; every line it gets "ok" for is remembered;
#   3. the primary is killed (kill -9, as a crash would); the secondary takes over;
#   4. the old primary is restarted and brought back by reintegration;
#   5. every acknowledged line is checked on the new primary, both copies compared;
#   6. everything is stopped and removed — daemons, mounts, namespaces, files —
#      also on Ctrl-C or an error.
# Options: --loopback (no namespaces even as root), --keep (leave the work folder).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

mode=netns
keep=0
for arg in "$@"; do
  case "$arg" in
    --loopback) mode=loopback ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "demo: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1m>> %s\033[0m\n' "$*"; }
info() { printf '   %s\n' "$*"; }
die() { printf 'demo: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || mode=loopback
if [ "$mode" = netns ] && ! command -v ip >/dev/null; then mode=loopback; fi
[ -e /dev/fuse ] || die "/dev/fuse is missing: hamirror captures writes with FUSE (modprobe fuse, or run in a VM/container with /dev/fuse)"

say "Building hamirrord and hamirror (release preset; only what changed)"
tools/install-deps.sh linux
[ -f build/release/build.ninja ] || cmake --preset release >/dev/null
cmake --build --preset release --target hamirrord hamirror >/dev/null
hamirrord=$repo/build/release/runtime/daemon/hamirrord
hamirror=$repo/build/release/runtime/cli/hamirror

work=$(mktemp -d /tmp/hamirror-demo.XXXXXX)
ns1=hm-demo-n1
ns2=hm-demo-n2
declare -A pid=()
writer_pid=""

node_dir() { echo "$work/$1"; }
mount_of() { echo "$work/$1/mnt/srv/hamirror-demo"; }
copy_of() { echo "$work/$1/state/data/0"; }
# The control API listens on loopback inside the node's network namespace.
cli() {
  if [ "$mode" = netns ]; then
    nsenter "--net=/var/run/netns/$( [ "$1" = node1 ] && echo "$ns1" || echo "$ns2")" "$hamirror" "$2" --node "$work/$1.toml" "${@:3}"
  else
    "$hamirror" "$2" --node "$work/$1.toml" "${@:3}"
  fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  say "Cleaning up: the application, both daemons, their mounts$( [ "$mode" = netns ] && echo ", the namespaces") and files"
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  for n in node1 node2; do
    if [ -n "${pid[$n]:-}" ] && kill -0 "${pid[$n]}" 2>/dev/null; then
      kill -TERM "${pid[$n]}" 2>/dev/null || true
    fi
  done
  for n in node1 node2; do
    if [ -n "${pid[$n]:-}" ]; then
      for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "${pid[$n]}" 2>/dev/null || true
    fi
    local m
    m=$(mount_of "$n")
    if mountpoint -q "$m" 2>/dev/null || grep -qs " $m " /proc/mounts; then
      fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    fi
  done
  if [ "$mode" = netns ]; then
    ip netns del "$ns1" 2>/dev/null || true
    ip netns del "$ns2" 2>/dev/null || true
  fi
  if [ "$keep" -eq 1 ]; then info "kept: $work"; else rm -rf "$work"; fi
  info "done"
  exit "$status"
}
trap cleanup EXIT
trap 'echo; info "interrupted"; exit 130' INT TERM

# --- the network ----------------------------------------------------------------------
if [ "$mode" = netns ]; then
  say "Two network namespaces ($ns1, $ns2) joined by a veth pair: 10.77.0.1 <-> 10.77.0.2"
  ip netns del "$ns1" 2>/dev/null || true
  ip netns del "$ns2" 2>/dev/null || true
  ip netns add "$ns1"
  ip netns add "$ns2"
  ip link add hmdemo1 netns "$ns1" type veth peer name hmdemo2 netns "$ns2"
  ip -n "$ns1" addr add 10.77.0.1/24 dev hmdemo1
  ip -n "$ns2" addr add 10.77.0.2/24 dev hmdemo2
  for ns in "$ns1" "$ns2"; do ip -n "$ns" link set lo up; done
  ip -n "$ns1" link set hmdemo1 up
  ip -n "$ns2" link set hmdemo2 up
  addr1=10.77.0.1; addr2=10.77.0.2; vip=10.77.0.100
  info "the virtual IP $vip follows the primary"
else
  say "Two daemons on 127.0.0.1 with their own ports (no namespaces: not root, or --loopback; no virtual IP)"
  addr1=127.0.0.1; addr2=127.0.0.1; vip=""
fi

# --- the configuration -----------------------------------------------------------------
mkdir -p "$work/mirror/conf" "$work/mirror/bin"
vip_xml=""
if [ -n "$vip" ]; then
  vip_xml="<vip><interface_list><interface check=\"on\" arpreroute=\"on\"><real_interface>
        <virtual_addr addr=\"$vip\" where=\"one_side_alias\"/></real_interface></interface></interface_list></vip>"
fi
cat >"$work/mirror/conf/userconfig.xml" <<EOF
<safe>
  <service mode="mirror" defaultprim="alone" failover="on">
    <heart pulse="300" timeout="3000"><heartbeat name="default" ident="flow"/></heart>
    $vip_xml
    <rfs async="none"><replicated dir="/srv/hamirror-demo" mode="read_only"/></rfs>
  </service>
</safe>
EOF
for script in start_prim stop_prim; do
  printf '#!/bin/sh\necho "%s: the application would be %s here (${1:-})"\n' "$script" \
    "$( [ $script = start_prim ] && echo started || echo stopped)" >"$work/mirror/bin/$script"
  chmod +x "$work/mirror/bin/$script"
done
"$hamirror" genkey --out "$work/cluster.key" >/dev/null 2>&1
write_node() {  # name peer address peer_address console replication heartbeat peer_replication peer_heartbeat
  mkdir -p "$work/$1/state" "$work/$1/log" "$work/$1/mnt"
  cat >"$work/$1.toml" <<EOF
[node]
name = "$1"
state_dir = "$work/$1/state"
log_dir = "$work/$1/log"
console_port = $5
replication_port = $6
heartbeat_port = $7
key_file = "$work/cluster.key"
[peer]
name = "$2"
replication_port = $8
heartbeat_port = $9
[networks.default]
node = "$3"
peer = "$4"
EOF
}
write_node node1 node2 "$addr1" "$addr2" 19010 19011 19012 19021 19022
write_node node2 node1 "$addr2" "$addr1" 19020 19021 19022 19011 19012
info "configuration: $work/mirror/conf/userconfig.xml, $work/node1.toml, $work/node2.toml"
"$hamirror" confcheck "$work/mirror/conf/userconfig.xml" "$work/node1.toml" >/dev/null ||
  die "the demo's own configuration does not check"

# --- the daemons ---------------------------------------------------------------------------
start_daemon() {
  local n=$1 ns=$2
  local cmd=("$hamirrord" run --node "$work/$n.toml" --module "$work/mirror/conf/userconfig.xml"
             --mount-prefix "$work/$n/mnt")
  # Only the network namespace is entered: the FUSE mount stays visible on this host
  # (ip netns exec would give the daemon a private mount namespace).
  if [ "$mode" = netns ]; then cmd=(nsenter "--net=/var/run/netns/$ns" "${cmd[@]}"); fi
  "${cmd[@]}" >>"$work/$n/daemon.out" 2>&1 &
  pid[$n]=$!
  disown "${pid[$n]}"  # its kill -9 below is the demo's, not news for the shell
}
gone() { for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
state_of() { cli "$1" state >/dev/null 2>&1; echo $?; }
state_name() { case "$1" in 0) echo STOP;; 1) echo WAIT;; 2) echo ALONE;; 3) echo PRIM;; 4) echo SECOND;; *) echo "not answering";; esac; }
wait_for() {  # node code seconds
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}
show_states() { info "node1: $(state_name "$(state_of node1)")    node2: $(state_name "$(state_of node2)")"; }
vip_holder() {
  local holder="nobody"
  # Interfaces that are up: a powered-off node's addresses answer nobody.
  ip -n "$ns1" -o addr show up | grep -q " $vip/" && holder=node1
  ip -n "$ns2" -o addr show up | grep -q " $vip/" && holder="$( [ "$holder" = nobody ] && echo node2 || echo "node1 AND node2")"
  echo "$holder"
}
show_vip() {  # expected holder
  [ -n "$vip" ] || return 0
  # A node reports PRIM or ALONE as soon as it decides; adding the VIP (ip addr add)
  # completes a few ms later: give it up to 3 s before saying where it is.
  local holder
  for _ in $(seq 30); do holder=$(vip_holder); [ "$holder" = "$1" ] && break; sleep 0.1; done
  info "virtual IP $vip is on: $holder$( [ "$holder" = "$1" ] || echo " (expected $1)")"
}
# A module log's line without its timestamp: "INFO  node2: ..." -> "node2: ..."
log_text() { sed -E 's/^[^ ]+ +(INFO|WARN|ERROR) +//'; }

say "Starting both daemons (hamirrord run); heartbeats every 300 ms, failover after 3 s of silence"
start_daemon node1 "$ns1"
start_daemon node2 "$ns2"
wait_for node1 3 30 || die "node1 did not become PRIM (see $work/node1/log/module.log)"
wait_for node2 4 30 || die "node2 did not become SECOND (see $work/node2/log/module.log)"
show_states
show_vip node1
info "node1 serves the replicated directory at $(mount_of node1); node2's mount is read-only"

# --- the application ---------------------------------------------------------------------
acked=$work/acknowledged.txt
: >"$acked"
writer() {  # appends line N to whichever node is primary; records N only when the write succeeded
  local i=0 target
  while :; do
    i=$((i + 1))
    for target in node1 node2; do
      if [ "$(cat "$work/primary" 2>/dev/null)" = "$target" ] &&
         (printf 'transaction %d\n' "$i" >>"$(mount_of "$target")/journal.txt") 2>/dev/null; then
        echo "$i" >>"$acked"
        break
      fi
    done
    sleep 0.05
  done
}
echo node1 >"$work/primary"
say "A small application appends numbered transactions to journal.txt through the primary's mount"
writer &
writer_pid=$!
sleep 3
info "$(wc -l <"$acked") transactions acknowledged so far"
info "the secondary's copy has $(wc -l <"$(copy_of node2)/journal.txt") of them: replication is synchronous"

# --- the crash ---------------------------------------------------------------------------
if [ "$mode" = netns ]; then
  say "Power cut on node1 (the primary): its daemon is killed (kill -9) and its network link goes dark"
else
  say "Crash of node1 (the primary): its daemon is killed (kill -9); its mount is left dead"
fi
crash_ms=$(( $(date +%s%N) / 1000000 ))
kill -KILL "${pid[node1]}"
[ "$mode" = netns ] && ip -n "$ns1" link set hmdemo1 down
gone "${pid[node1]}" || die "node1's daemon did not die"
echo none >"$work/primary"
wait_for node2 2 30 || die "node2 did not take over (see $work/node2/log/module.log)"
took_ms=$(( $(date +%s%N) / 1000000 - crash_ms ))
info "node2 took over $((took_ms / 1000)).$(( (took_ms % 1000) / 100 )) s after the crash (failover after 3 s of heartbeat silence): ALONE, a primary without a secondary"
echo node2 >"$work/primary"
show_vip node2
sleep 2
info "$(wc -l <"$acked") transactions acknowledged so far (the application now writes to node2)"

# --- the return --------------------------------------------------------------------------
say "node1 comes back: its daemon starts afresh, recovers the dead mount, drops any stale VIP, and is reintegrated"
[ "$mode" = netns ] && ip -n "$ns1" link set hmdemo1 up
start_daemon node1 "$ns1"
wait_for node1 4 60 || die "node1 did not come back as SECOND (see $work/node1/log/module.log)"
wait_for node2 3 30 || die "node2 did not become PRIM"
show_states
grep -h "reintegration of node1 finished" "$work/node2/log/module.log" | tail -1 | log_text | sed 's/^/   node2 log: /'
show_vip node2
info "what \`hamirror state\` says on node2 (exit code 3: PRIM):"
cli node2 state | sed 's/^/     /' || true

# --- the check ---------------------------------------------------------------------------
sleep 1
kill "$writer_pid" 2>/dev/null || true
wait "$writer_pid" 2>/dev/null || true
writer_pid=""
echo none >"$work/primary"
say "Checking: every acknowledged transaction is on the primary, and both copies are identical"
total=$(wc -l <"$acked")
missing=0
while read -r n; do
  grep -qx "transaction $n" "$(copy_of node2)/journal.txt" || missing=$((missing + 1))
done <"$acked"
info "acknowledged: $total, missing on the primary: $missing"
[ "$missing" -eq 0 ] || die "$missing acknowledged transactions are missing"
# The secondary applies what is in flight within a moment: compare once it has.
for _ in $(seq 50); do cmp -s "$(copy_of node1)/journal.txt" "$(copy_of node2)/journal.txt" && break; sleep 0.1; done
cmp "$(copy_of node1)/journal.txt" "$(copy_of node2)/journal.txt" >/dev/null ||
  die "the two copies differ after reintegration"
info "node1's and node2's copies of journal.txt are byte-identical ($(wc -c <"$(copy_of node2)/journal.txt") bytes)"

say "Stopping both daemons (SIGTERM: stop_prim, VIP removed, state saved, mounts released)"
for n in node2 node1; do kill -TERM "${pid[$n]}"; done
for n in node2 node1; do gone "${pid[$n]}" || die "$n did not stop within 10 s"; done
pid=()
info "logs were in $work/node1/log and $work/node2/log (module.log, application.log)"
say "Demo finished: no acknowledged transaction was lost"
