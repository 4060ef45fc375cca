# Sourced by tools/bench-suite.sh: two-node clusters of hamirrord for the suite.
# A cluster is the folder $work/<cluster> with node1/ and node2/ (module, state, log,
# mount point), node1.toml and node2.toml, and events.log (when start_prim ended, ms);
# the daemons' pids are pid[<cluster>/<node>], their namespaces netns_of[...] ("": host),
# the core each runs on core_of[...] ("": any).

declare -A netns_of=()
declare -A core_of=()

other() { [ "$1" = node1 ] && echo node2 || echo node1; }
copy_of() { echo "$work/$1/$2/state/data/0"; }
mount_of() { echo "$work/$1/$2/mnt/srv/hm-bench"; }
module_log() { echo "$work/$1/$2/log/module.log"; }

# make_cluster NAME PULSE_MS TIMEOUT_MS DEFAULTPRIM BASE_PORT ADDR1 ADDR2 [VIP]
# node1 uses ports BASE..BASE+2 (console, replication, heartbeat), node2 BASE+10..12.
make_cluster() {
  local name=$1 pulse=$2 timeout=$3 defaultprim=$4 base=$5 vip=${8:-}
  local -A addr=([node1]=$6 [node2]=$7) port=([node1]=$5 [node2]=$(($5 + 10)))
  local dir=$work/$name me peer module vip_xml=""
  [ -f "$work/cluster.key" ] || "$hamirror" genkey --out "$work/cluster.key" >/dev/null 2>&1 ||
    die "hamirror genkey could not write $work/cluster.key"
  if [ -n "$vip" ]; then
    vip_xml="<vip><interface_list><interface check=\"on\" arpreroute=\"on\"><real_interface>
      <virtual_addr addr=\"$vip\" where=\"one_side_alias\"/></real_interface></interface></interface_list></vip>"
  fi
  mkdir -p "$dir"
  : >"$dir/events.log"
  for me in node1 node2; do
    peer=$(other "$me")
    module=$dir/$me/mirror
    mkdir -p "$module/conf" "$module/bin" "$dir/$me/state" "$dir/$me/log" "$dir/$me/mnt"
    cat >"$module/conf/userconfig.xml" <<XML
<safe>
  <service mode="mirror" defaultprim="$defaultprim" failover="on">
    <heart pulse="$pulse" timeout="$timeout"><heartbeat name="default" ident="flow"/></heart>
    $vip_xml
    <rfs async="none"><replicated dir="/srv/hm-bench" mode="read_only"/></rfs>
  </service>
</safe>
XML
    # The RTO ends when start_prim has finished: it logs the moment it ends.
    printf '#!/bin/sh\necho "start_prim_done %s $(date +%%s%%3N)" >>"%s"\n' "$me" "$dir/events.log" >"$module/bin/start_prim"
    printf '#!/bin/sh\nexit 0\n' >"$module/bin/stop_prim"
    chmod +x "$module/bin/start_prim" "$module/bin/stop_prim"
    cat >"$dir/$me.toml" <<TOML
[node]
name = "$me"
state_dir = "$dir/$me/state"
log_dir = "$dir/$me/log"
key_file = "$work/cluster.key"
console_port = ${port[$me]}
replication_port = $((port[$me] + 1))
heartbeat_port = $((port[$me] + 2))
[peer]
name = "$peer"
replication_port = $((port[$peer] + 1))
heartbeat_port = $((port[$peer] + 2))
[networks.default]
node = "${addr[$me]}"
peer = "${addr[$peer]}"
TOML
    "$hamirror" confcheck "$module/conf/userconfig.xml" "$dir/$me.toml" >/dev/null ||
      die "the suite's own configuration of $name/$me does not check"
    netns_of[$name/$me]=""
    core_of[$name/$me]=""
  done
}

in_netns() {  # cluster node command...: in the node's network namespace only (mounts stay visible)
  local ns=${netns_of[$1/$2]}
  shift 2
  if [ -n "$ns" ]; then nsenter "--net=/var/run/netns/$ns" "$@"; else "$@"; fi
}

start_daemon() {  # cluster node
  local ns=${netns_of[$1/$2]} cmd=("$hamirrord" run --node "$work/$1/$2.toml" --module "$work/$1/$2/mirror/conf/userconfig.xml"
                                    --mount-prefix "$work/$1/$2/mnt")
  # nsenter and taskset exec the daemon: $! is the daemon's pid, which the suite stops and kills.
  [ -z "${core_of[$1/$2]}" ] || cmd=(taskset -c "${core_of[$1/$2]}" "${cmd[@]}")
  [ -z "$ns" ] || cmd=(nsenter "--net=/var/run/netns/$ns" "${cmd[@]}")
  "${cmd[@]}" >>"$work/$1/$2/daemon.out" 2>&1 &
  pid[$1/$2]=$!
  disown "${pid[$1/$2]}"  # stopped or killed by the suite: not news for the shell
}

gone() {  # pid seconds
  local deadline=$(( $(date +%s) + $2 ))
  while kill -0 "$1" 2>/dev/null; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.05; done
}

stop_daemon() {  # cluster node: SIGTERM, a clean stop
  kill -TERM "${pid[$1/$2]}"
  gone "${pid[$1/$2]}" 30 || die "$1/$2's daemon did not stop within 30 s of SIGTERM"
  unset "pid[$1/$2]"
}

kill_daemon() {  # cluster node: kill -9
  kill -KILL "${pid[$1/$2]}"
  gone "${pid[$1/$2]}" 5 || die "$1/$2's daemon survived kill -9"
  unset "pid[$1/$2]"
}

state_code() {  # cluster node: STOP 0, WAIT 1, ALONE 2, PRIM 3, SECOND 4; 10+ not answering
  local code=0
  in_netns "$1" "$2" "$hamirror" state --node "$work/$1/$2.toml" >/dev/null 2>&1 || code=$?
  echo "$code"
}

wait_code() {  # cluster node code seconds [poll_s]
  local deadline=$(( $(date +%s) + $4 ))
  while [ "$(state_code "$1" "$2")" != "$3" ]; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      die "$1/$2 did not reach state $3 (STOP 0 WAIT 1 ALONE 2 PRIM 3 SECOND 4) within $4 s: it is $(state_code "$1" "$2")"
    sleep "${5:-0.1}"
  done
}

wait_pair() {  # cluster primary seconds: primary PRIM, the other SECOND
  wait_code "$1" "$2" 3 "$3"
  wait_code "$1" "$(other "$2")" 4 "$3"
}

memory_mib() {  # cluster node field (VmRSS, VmHWM): MiB with one decimal
  awk -v f="$3:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/${pid[$1/$2]}/status"
}

drop_caches() {  # so that neither side of a comparison reads from memory the other wrote
  sync
  echo 3 >/proc/sys/vm/drop_caches
}
