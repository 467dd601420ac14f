#!/usr/bin/env bash
# Cluster figures, printed (not a timed test). Needs root, runc, conmon, busybox-static, jq and PostgreSQL
# (apt-get install -y postgresql). Every cluster is a lighthouse and three `troupe node` processes on loopback, as
# the README starts them, each in a fresh TROUPE_HOME under /tmp, sharing one PostgreSQL server started here.
#
#   bench/cluster.sh
#   LOSS_RUNS=3 REPLICAS=6 FAKE_PODS=10000 bench/cluster.sh
#   SKIP_FAKE=1 bench/cluster.sh    (the loss figures only; SKIP_WORKER=1 leaves out the worker loss)
#   ONLY_STREAMS=1 STREAM_RUNS=20 bench/cluster.sh    (the streams figure only; SKIP_STREAMS=1 leaves it out)
#
# Figures:
#   worker loss: kill -9 of a worker node (and of its containers: the machine is gone) -> every replica of a
#   REPLICAS-replica Deployment running again on the two others (median of LOSS_RUNS, each on a fresh cluster);
#   control loss: the same for the node hosting the Deployment's shard (it recovers from PostgreSQL on another
#   node and adopts the pods there);
#   streams: exec and logs of a pod on n3 asked of n3's API and of n1's, which passes them on (median of STREAM_RUNS);
#   scheduling throughput: apply of FAKE_PODS replicas on three `--driver fake` nodes -> all available, pods per
#   second, next to the floor Kubernetes' own scalability tests hold kube-scheduler to (clusterloader2's
#   SchedulingThroughput threshold, 100 pods/s by default).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
LOSS_RUNS=${LOSS_RUNS:-3}
SKIP_FAKE=${SKIP_FAKE:-}
SKIP_WORKER=${SKIP_WORKER:-}
REPLICAS=${REPLICAS:-6}
STREAM_RUNS=${STREAM_RUNS:-20}
SKIP_STREAMS=${SKIP_STREAMS:-}
ONLY_STREAMS=${ONLY_STREAMS:-}
FAKE_PODS=${FAKE_PODS:-10000}
RUNC=$(command -v runc || echo /usr/sbin/runc)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

WORK=$(mktemp -d /tmp/troupe-bench-cluster.XXXXXX)
chmod 755 "$WORK"
declare -A FIG
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "n/a"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

[ "$(id -u)" = 0 ] || { echo "bench/cluster.sh: needs root (runc driver, PostgreSQL as postgres)" >&2; exit 1; }
for tool in runc conmon jq busybox python3; do
    command -v "$tool" >/dev/null || { echo "bench/cluster.sh: needs $tool" >&2; exit 1; }
done
[ -n "$PG_BIN" ] || { echo "bench/cluster.sh: needs PostgreSQL (apt-get install -y postgresql)" >&2; exit 1; }

# --- PostgreSQL ---------------------------------------------------------------------------------------------------
PG_DIR=$WORK/pg
PG_PORT=$(free_port)
mkdir -p "$PG_DIR" && chown postgres: "$PG_DIR"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U troupe --no-sync >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=500" start >/dev/null
DB="Host=127.0.0.1;Port=$PG_PORT;Username=troupe;Database=troupe;Timeout=5"
fresh_db() {
    "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U troupe --if-exists troupe
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U troupe troupe
}

# --- clusters -------------------------------------------------------------------------------------------------------
CLUSTER=""     # folder of the running cluster
NODES=(n1 n2 n3)
declare -A API
start_cluster() { # start_cluster DRIVER [--config F]: lighthouse + n1..n3, waits until all three are Ready
    local driver=$1; shift
    CLUSTER=$(mktemp -d "$WORK/cluster.XXXX")
    local lh; lh=$(free_port)
    mkdir -p "$CLUSTER/lh"
    TROUPE_HOME=$CLUSTER/lh setsid "$TROUPE" lighthouse --port "$lh" >"$CLUSTER/lh/out.log" 2>&1 </dev/null &
    local contacts=""
    for n in "${NODES[@]}"; do
        API[$n]=$(free_port)
        mkdir -p "$CLUSTER/$n"
        TROUPE_HOME=$CLUSTER/$n TROUPE_DB=$DB setsid "$TROUPE" node --name "$n" --port "$(free_port)" --api-port "${API[$n]}" \
            --seed "127.0.0.1:$lh" --driver "$driver" "$@" >"$CLUSTER/$n/out.log" 2>&1 </dev/null &
        contacts+="${contacts:+,}127.0.0.1:${API[$n]}"
    done
    export TROUPE_CLUSTER=$contacts
    for _ in $(seq 1 300); do
        [ "$("$TROUPE" get nodes 2>/dev/null | grep -cE '^n[0-9]+ +Ready ')" = 3 ] && return 0
        sleep 0.3
    done
    "$TROUPE" get nodes >&2 || true
    tail -n 5 "$CLUSTER"/*/out.log >&2
    echo "bench/cluster.sh: the cluster did not come up" >&2
    exit 1
}
node_pid() { jq -r .pid "$CLUSTER/$1/node.json"; }
kill_machine() { # kill -9 of the node and of its containers
    kill -9 "$(node_pid "$1")"
    for id in $("$RUNC" --root "$CLUSTER/$1/runc" list -q 2>/dev/null); do "$RUNC" --root "$CLUSTER/$1/runc" kill "$id" KILL 2>/dev/null || true; done
}
stop_cluster() { # stop_cluster [DIR]: the running cluster, or the one in DIR
    local dir=${1:-$CLUSTER}
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    set +e
    for d in "$dir"/*/; do
        local pid; pid=$(jq -r .pid "$d/node.json" 2>/dev/null)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            if [ "$(basename "$d")" = lh ]; then kill "$pid"; else TROUPE_CLUSTER= TROUPE_HOME=$d timeout 120 "$TROUPE" down >/dev/null 2>&1; fi
        fi
        for id in $("$RUNC" --root "$d/runc" list -q 2>/dev/null); do
            "$RUNC" --root "$d/runc" kill "$id" KILL 2>/dev/null; "$RUNC" --root "$d/runc" delete --force "$id" 2>/dev/null
        done
    done
    pkill -9 -f "conmon.*$dir" 2>/dev/null
    grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    sleep 1
    rm -rf "$dir"
    CLUSTER=""
    set -e
}
cleanup() {
    set +e
    for c in "$WORK"/cluster.*; do stop_cluster "$c"; done
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
    grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

deployment() { # name replicas
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: busybox:latest
          command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 5 & wait \$!; done"]
          resources: {limits: {memory: 64Mi, cpu: 100m}}
YAML
}
running_on() { # running_on N NODE...: true when exactly N pods of app=loss run, all on the nodes named
    local want=$1; shift
    local json; json=$("$TROUPE" get pods -l app=loss -o json 2>/dev/null) || return 1
    local ok; ok=$(jq --argjson nodes "$(printf '%s\n' "$@" | jq -R . | jq -s .)" '
        [.items[] | select(.status.phase == "Running" and ([.status.containerStatuses[]? | .ready] | all)
                           and (.spec.nodeName as $n | $nodes | index($n)))] | length' <<<"$json")
    local all; all=$(jq '.items | length' <<<"$json")
    [ "$ok" = "$want" ] && [ "$all" = "$want" ]
}
control_node() { "$TROUPE" get deployment loss -o json | jq -r '.metadata.annotations["troupe.io/control-node"]'; }

loss_run() { # loss_run worker|control -> ms from the kill to every replica running again
    fresh_db
    start_cluster runc
    deployment loss "$REPLICAS" | "$TROUPE" apply -f - >/dev/null
    for _ in $(seq 1 300); do running_on "$REPLICAS" "${NODES[@]}" && break; sleep 0.2; done
    if ! running_on "$REPLICAS" "${NODES[@]}"; then
        "$TROUPE" get pods -o wide >&2 || true
        tail -n 5 "$CLUSTER"/*/out.log >&2
        echo "bench/cluster.sh: $REPLICAS replicas did not start" >&2
        exit 1
    fi
    sleep 2
    local control victim survivors=()
    control=$(control_node)
    if [ "$1" = control ]; then victim=$control; else
        for n in "${NODES[@]}"; do [ "$n" != "$control" ] && { victim=$n; break; }; done
    fi
    for n in "${NODES[@]}"; do [ "$n" != "$victim" ] && survivors+=("$n"); done
    local start; start=$(now_ms)
    kill_machine "$victim"
    for _ in $(seq 1 1200); do running_on "$REPLICAS" "${survivors[@]}" && break; sleep 0.1; done
    local took=$(( $(now_ms) - start ))
    running_on "$REPLICAS" "${survivors[@]}" || { echo "bench/cluster.sh: replicas not back after the $1 loss" >&2; exit 1; }
    log "$1 loss: $victim killed (control node was $control), $REPLICAS replicas running again in $took ms"
    if [ "$took" -gt "${SLOW_MS:-20000}" ]; then # keep the logs of a slow run for a look
        local keep="/tmp/troupe-bench-slow-$(date +%H%M%S)"
        mkdir -p "$keep" && for d in "$CLUSTER"/*/; do cp "$d/out.log" "$keep/$(basename "$d").log" 2>/dev/null; done
        log "slow run: logs kept in $keep"
    fi
    stop_cluster
    echo "$took"
}

# --- streams of a pod on another node -------------------------------------------------------------------------------
# exec and logs of a pod on n3 asked of n3's own API, then of n1's, which passes them on to n3 (HttpForward):
# what the hop between nodes costs a command, median of STREAM_RUNS each.
stream_figures() {
    fresh_db
    start_cluster runc
    deployment streams 3 | "$TROUPE" apply -f - >/dev/null
    local pod=""
    for _ in $(seq 1 300); do
        pod=$("$TROUPE" get pods -l app=streams -o json 2>/dev/null | jq -r '[.items[] | select(.spec.nodeName == "n3" and .status.phase == "Running")][0].metadata.name // empty')
        [ -n "$pod" ] && break
        sleep 0.2
    done
    [ -n "$pod" ] || { echo "bench/cluster.sh: no running pod on n3" >&2; exit 1; }
    local via kind
    # warm both nodes' paths first (the first exec JIT-compiles the node's exec and forwarding code)
    for via in n3 n1; do
        for _ in 1 2 3; do TROUPE_CLUSTER=127.0.0.1:${API[$via]} "$TROUPE" exec "$pod" -- true; TROUPE_CLUSTER=127.0.0.1:${API[$via]} "$TROUPE" logs "$pod" >/dev/null; done
    done
    for via in n3 n1; do
        for kind in exec logs; do
            local times=()
            for _ in $(seq 1 "$STREAM_RUNS"); do
                local t0; t0=$(now_ms)
                if [ "$kind" = exec ]; then
                    TROUPE_CLUSTER=127.0.0.1:${API[$via]} "$TROUPE" exec "$pod" -- true
                else
                    TROUPE_CLUSTER=127.0.0.1:${API[$via]} "$TROUPE" logs "$pod" >/dev/null
                fi
                times+=("$(( $(now_ms) - t0 ))")
            done
            FIG[$kind-$via]=$(printf '%s\n' "${times[@]}" | median)
        done
    done
    stop_cluster
    printf 'exec of a pod on n3, asked of n3: %s ms, of n1 (passed on): %s ms\nlogs of a pod on n3, asked of n3: %s ms, of n1 (passed on): %s ms (medians of %s)\n' \
        "${FIG[exec-n3]}" "${FIG[exec-n1]}" "${FIG[logs-n3]}" "${FIG[logs-n1]}" "$STREAM_RUNS"
}
if [ -n "$ONLY_STREAMS" ]; then stream_figures; exit 0; fi
[ -n "$SKIP_STREAMS" ] || stream_figures

worker=(); control=()
[ -n "$SKIP_WORKER" ] || for i in $(seq 1 "$LOSS_RUNS"); do ms=$(loss_run worker) || exit 1; worker+=("$ms"); done
for i in $(seq 1 "$LOSS_RUNS"); do ms=$(loss_run control) || exit 1; control+=("$ms"); done
FIG[worker]=$(printf '%s\n' "${worker[@]}" | median)
FIG[control]=$(printf '%s\n' "${control[@]}" | median)

# --- scheduling throughput with the fake driver -------------------------------------------------------------------
if [ -n "$SKIP_FAKE" ]; then
    printf 'worker kill -9: %s ms (median; %s)\nshard-host kill -9: %s ms (median; %s)\n' "${FIG[worker]}" "${worker[*]}" "${FIG[control]}" "${control[*]}"
    exit 0
fi
fresh_db
cat > "$WORK/fake.hocon" <<'HOCON'
troupe.runtime.node.max-pods = 20000
HOCON
start_cluster fake --config "$WORK/fake.hocon"
cat > "$WORK/many.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: many}
spec:
  replicas: $FAKE_PODS
  selector: {matchLabels: {app: many}}
  template:
    metadata: {labels: {app: many}}
    spec:
      containers:
        - {name: main, image: busybox:latest, command: ["sleep", "3600"]}
YAML
start=$(now_ms)
"$TROUPE" apply -f "$WORK/many.yaml" >/dev/null
available=0
while [ "$(( $(now_ms) - start ))" -lt 900000 ]; do
    available=$("$TROUPE" get deployment many -o json 2>/dev/null | jq -r '.status.availableReplicas // 0') || available=0
    [ "$available" = "$FAKE_PODS" ] && break
    sleep 1
done
FIG[fake_ms]=$(( $(now_ms) - start ))
FIG[fake_n]=$available
log "fake: $available of $FAKE_PODS available after ${FIG[fake_ms]} ms"
"$TROUPE" get nodes >&2 || true
stop_cluster

echo
echo "Troupe cluster figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, lighthouse + 3 nodes on loopback, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'))"
printf '%-64s %12s   %s\n' "figure" "troupe" "runs"
printf '%-64s %9s ms   %s\n' "worker kill -9 -> $REPLICAS replicas running again (median)" "${FIG[worker]}" "${worker[*]}"
printf '%-64s %9s ms   %s\n' "shard-host kill -9 -> $REPLICAS replicas running again (median)" "${FIG[control]}" "${control[*]}"
rate=$(awk -v n="${FIG[fake_n]}" -v ms="${FIG[fake_ms]}" 'BEGIN { printf "%.0f", n * 1000 / ms }')
printf '%-64s %9s ms   %s of %s available\n' "apply -> $FAKE_PODS fake pods available over 3 nodes" "${FIG[fake_ms]}" "${FIG[fake_n]}" "$FAKE_PODS"
printf '%-64s %12s   %s\n' "scheduling throughput, placed and running (pods/s)" "$rate" "$(awk -v r="$rate" 'BEGIN { printf "%.1fx", r / 100 }') of kube-scheduler's 100 pods/s floor"
echo "peers as published: Kubernetes' defaults move pods off a lost node after ~5-6 min (node-monitor-grace-period 40 s +"
echo "pod eviction 5 min); Akka's default failure detection and SBR stable-after take ~45 s before any move."
