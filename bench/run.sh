#!/usr/bin/env bash
# Troupe's figures, printed (not a timed test). Needs root, runc, conmon, busybox-static, jq; uses hyperfine
# when installed (apt-get install -y hyperfine), else a loop. Every node runs in a fresh TROUPE_HOME under /tmp.
#
#   bench/run.sh                         all figures
#   RUNS_1=5 RUNS_50=3 HEAL_RUNS=5 CLI_RUNS=50 FAKE_PODS=1000 bench/run.sh
#
# Figures:
#   apply -> all replicas Running, 1 and 50 replicas (median), next to bare `runc run -d` of an equivalent
#   busybox bundle (same command, same memory/cpu limits), started one after another, measured here too;
#   kill -9 -> container running again (heal, median); node memory (RSS, PSS from smaps_rollup) with 0 and
#   FAKE_PODS pods on a `--driver fake` node; wall time of one-shot `troupe get pods` and `troupe version`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
RUNS_1=${RUNS_1:-5}
RUNS_50=${RUNS_50:-3}
HEAL_RUNS=${HEAL_RUNS:-5}
CLI_RUNS=${CLI_RUNS:-50}
FAKE_PODS=${FAKE_PODS:-1000}
RUNC=$(command -v runc || echo /usr/sbin/runc)

WORK=$(mktemp -d /tmp/troupe-bench.XXXXXX)
HOME_RUNC=$WORK/runc-home
HOME_FAKE=$WORK/fake-home
BARE_ROOT=$WORK/bare-runc
BUNDLE=$WORK/bundle
mkdir -p "$HOME_RUNC" "$HOME_FAKE"
declare -A FIG

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "n/a"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
t() { TROUPE_HOME=$1 "$TROUPE" "${@:2}"; }

cleanup() {
    set +e
    for h in "$HOME_RUNC" "$HOME_FAKE"; do
        [ -f "$h/node.json" ] && TROUPE_HOME=$h timeout 120 "$TROUPE" down >/dev/null 2>&1
    done
    if [ -d "$BARE_ROOT" ]; then
        for id in $("$RUNC" --root "$BARE_ROOT" list -q 2>/dev/null); do
            "$RUNC" --root "$BARE_ROOT" delete --force "$id" >/dev/null 2>&1
        done
    fi
    grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root (runc driver)" >&2; exit 1; }
for tool in runc conmon jq busybox; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: needs $tool (apt-get install -y runc conmon jq busybox-static)" >&2; exit 1; }
done

deployment() { # name replicas > yaml
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
spec:
  replicas: $2
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: busybox:latest
          command: ["sh", "-c", "trap 'exit 0' TERM; echo started; while true; do sleep 5 & wait \$!; done"]
          resources:
            limits:
              memory: 64Mi
              cpu: 250m
YAML
}

running() { # home app -> number of pods of app whose containers all run
    t "$1" get pods -o json 2>/dev/null | jq --arg app "$2" '[.items[]? | select(.metadata.labels.app == $app)
        | select(.status.phase == "Running" and ((.status.containerStatuses // []) | length) > 0
                 and all(.status.containerStatuses[]; .state.running != null))] | length' 2>/dev/null || echo 0
}
listed() { t "$1" get pods -o json 2>/dev/null | jq --arg app "$2" '[.items[]? | select(.metadata.labels.app == $app)] | length' 2>/dev/null || echo -1; }

wait_running() { # home app n timeout_s
    local deadline=$(( $(now_ms) + $4 * 1000 ))
    while [ "$(running "$1" "$2")" != "$3" ]; do
        [ "$(now_ms)" -lt "$deadline" ] || { log "timed out waiting for $3 running pods of $2"; t "$1" get pods >&2 || true; return 1; }
        sleep 0.02
    done
}
wait_gone() { # home app timeout_s
    local deadline=$(( $(now_ms) + $3 * 1000 ))
    while [ "$(listed "$1" "$2")" != "0" ]; do
        [ "$(now_ms)" -lt "$deadline" ] || { log "timed out waiting for the pods of $2 to go"; return 1; }
        sleep 0.2
    done
}

mem_of() { # pid -> "rss_kib pss_kib"
    awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r, p}' "/proc/$1/smaps_rollup"
}

# ---------------------------------------------------------------------------------------------------------------
log "building ./troupe (first use builds the Native AOT shell and the node program)"
t "$HOME_RUNC" version >&2

# --- bare runc baseline ---------------------------------------------------------------------------------------
log "bare runc: bundle from runc spec + static busybox"
mkdir -p "$BUNDLE/rootfs/bin" "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/dev" "$BUNDLE/rootfs/sys" "$BUNDLE/rootfs/tmp"
cp "$(command -v busybox)" "$BUNDLE/rootfs/bin/busybox"
for a in sh sleep echo; do ln -s busybox "$BUNDLE/rootfs/bin/$a"; done
( cd "$BUNDLE" && "$RUNC" spec )
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "trap \"exit 0\" TERM; echo started; while true; do sleep 5 & wait $!; done"]
    | .linux.resources.memory = {"limit": 67108864}
    | .linux.resources.cpu = {"quota": 25000, "period": 100000}' "$BUNDLE/config.json" > "$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

bare_run() { # n -> ms to have n containers running, started one after another
    local n=$1 start end i
    start=$(now_ms)
    for i in $(seq 1 "$n"); do
        "$RUNC" --root "$BARE_ROOT" run -d --bundle "$BUNDLE" "bare-$i" </dev/null >/dev/null 2>&1
    done
    end=$(now_ms)
    [ "$("$RUNC" --root "$BARE_ROOT" list -q | wc -l)" = "$n" ] || { log "bare runc: not all $n started"; return 1; }
    for i in $(seq 1 "$n"); do "$RUNC" --root "$BARE_ROOT" kill "bare-$i" KILL 2>/dev/null || true; done
    sleep 0.3
    for i in $(seq 1 "$n"); do "$RUNC" --root "$BARE_ROOT" delete --force "bare-$i" 2>/dev/null || true; done
    echo $(( end - start ))
}
bare1=(); for _ in $(seq 1 "$RUNS_1"); do bare1+=("$(bare_run 1)"); done
bare50=(); for _ in $(seq 1 "$RUNS_50"); do bare50+=("$(bare_run 50)"); done
FIG[bare1]=$(printf '%s\n' "${bare1[@]}" | median)
FIG[bare50]=$(printf '%s\n' "${bare50[@]}" | median)
log "bare runc run: 1 -> ${bare1[*]} ms; 50 -> ${bare50[*]} ms"

# --- Troupe: apply -> Running ---------------------------------------------------------------------------------
log "troupe up (runc driver) in $HOME_RUNC"
t "$HOME_RUNC" up >&2
NODE_PID=$(jq .pid "$HOME_RUNC/node.json")

apply_run() { # replicas run -> ms from apply to all Running
    local n=$1 name="bench$1-$2" file="$WORK/bench$1-$2.yaml" start end
    deployment "$name" "$n" > "$file"
    start=$(now_ms)
    t "$HOME_RUNC" apply -f "$file" >/dev/null
    wait_running "$HOME_RUNC" "$name" "$n" 300 || return 1
    end=$(now_ms)
    t "$HOME_RUNC" delete deployment "$name" >/dev/null
    wait_gone "$HOME_RUNC" "$name" 120
    echo $(( end - start ))
}
up1=(); for i in $(seq 1 "$RUNS_1"); do up1+=("$(apply_run 1 "$i")"); done
FIG[troupe1]=$(printf '%s\n' "${up1[@]}" | median)
log "apply -> Running, 1 replica: ${up1[*]} ms"
up50=(); for i in $(seq 1 "$RUNS_50"); do up50+=("$(apply_run 50 "$i")"); done
FIG[troupe50]=$(printf '%s\n' "${up50[@]}" | median)
log "apply -> Running, 50 replicas: ${up50[*]} ms"

# --- heal: kill -9 -> running again ---------------------------------------------------------------------------
# One pod per measurement (a pod's first restart is immediate; later ones back off), so HEAL_RUNS replicas.
log "heal: $HEAL_RUNS replicas, kill -9 each container once"
deployment heal "$HEAL_RUNS" > "$WORK/heal.yaml"
t "$HOME_RUNC" apply -f "$WORK/heal.yaml" >/dev/null
wait_running "$HOME_RUNC" heal "$HEAL_RUNS" 120
heal=()
for pod in $(t "$HOME_RUNC" get pods -o json | jq -r '.items[] | select(.metadata.labels.app == "heal") | .metadata.name'); do
    old=$(t "$HOME_RUNC" get pods -o json | jq --arg p "$pod" '.items[] | select(.metadata.name == $p) | .status.containerStatuses[0].pid')
    kill -9 "$old"
    start=$(now_ms)
    deadline=$(( start + 60000 ))
    while :; do
        cur=$(t "$HOME_RUNC" get pods -o json | jq --arg p "$pod" '.items[] | select(.metadata.name == $p)
            | select(.status.containerStatuses[0].state.running != null) | .status.containerStatuses[0].pid // empty')
        if [ -n "$cur" ] && [ "$cur" != "$old" ] && [ -d "/proc/$cur" ]; then break; fi
        [ "$(now_ms)" -lt "$deadline" ] || { log "heal of $pod timed out"; break; }
        sleep 0.01
    done
    heal+=($(( $(now_ms) - start )))
done
FIG[heal]=$(printf '%s\n' "${heal[@]}" | median)
log "heal: ${heal[*]} ms"
t "$HOME_RUNC" delete deployment heal >/dev/null
wait_gone "$HOME_RUNC" heal 60

# --- one-shot CLI wall time -----------------------------------------------------------------------------------
log "one-shot CLI: $CLI_RUNS runs each"
deployment cli 3 > "$WORK/cli.yaml"
t "$HOME_RUNC" apply -f "$WORK/cli.yaml" >/dev/null
wait_running "$HOME_RUNC" cli 3 60
SHELL_BIN="$ROOT/.build/shell/troupe"
cli_median() { # label command... -> median ms
    if command -v hyperfine >/dev/null; then
        TROUPE_HOME=$HOME_RUNC hyperfine -N --runs "$CLI_RUNS" --warmup 3 --export-json "$WORK/hf.json" "$*" >/dev/null 2>&1 \
            || TROUPE_HOME=$HOME_RUNC hyperfine --runs "$CLI_RUNS" --warmup 3 --export-json "$WORK/hf.json" "$*" >/dev/null 2>&1
        jq '.results[0].median * 1000 | . * 10 | round / 10' "$WORK/hf.json"
    else
        local i s
        for i in $(seq 1 "$CLI_RUNS"); do
            s=$(date +%s%N); TROUPE_HOME=$HOME_RUNC "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 100000 ))
        done | median | awk '{printf "%.1f\n", $1/10}'
    fi
}
FIG[getpods]=$(cli_median "$TROUPE" get pods)
FIG[version]=$(cli_median "$TROUPE" version)
if [ -x "$SHELL_BIN" ]; then
    FIG[getpods_bin]=$(cli_median "$SHELL_BIN" get pods)
    FIG[version_bin]=$(cli_median "$SHELL_BIN" version)
fi
FIG[node_runc_mem]=$(mem_of "$NODE_PID")
t "$HOME_RUNC" delete deployment cli >/dev/null
wait_gone "$HOME_RUNC" cli 60
t "$HOME_RUNC" down >&2

# --- memory with the fake driver ------------------------------------------------------------------------------
log "troupe up --driver fake in $HOME_FAKE"
t "$HOME_FAKE" up --driver fake >&2
FAKE_PID=$(jq .pid "$HOME_FAKE/node.json")
sleep 5
FIG[mem0]=$(mem_of "$FAKE_PID")
log "node with 0 pods: RSS/PSS KiB ${FIG[mem0]}"
deployment many "$FAKE_PODS" > "$WORK/many.yaml"
start=$(now_ms)
t "$HOME_FAKE" apply -f "$WORK/many.yaml" >/dev/null
deadline=$(( start + 600000 ))
while :; do
    n=$(running "$HOME_FAKE" many)
    [ "$n" = "$FAKE_PODS" ] && break
    [ "$(now_ms)" -lt "$deadline" ] || { log "only $n of $FAKE_PODS fake pods Running after 600 s"; break; }
    sleep 1
done
FIG[fake_up]=$(( $(now_ms) - start ))
FIG[fake_n]=$n
sleep 5
FIG[mem1000]=$(mem_of "$FAKE_PID")
log "node with $n fake pods (after ${FIG[fake_up]} ms): RSS/PSS KiB ${FIG[mem1000]}"
t "$HOME_FAKE" down >&2 || true

# --- the table ------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
read -r r0 p0 <<<"${FIG[mem0]}"
read -r r1 p1 <<<"${FIG[mem1000]}"
read -r rr pr <<<"${FIG[node_runc_mem]}"
echo
echo "Troupe figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, runc $("$RUNC" --version | awk 'NR==1{print $3}'))"
printf '%-58s %14s %14s %8s\n' "figure" "troupe" "bare runc" "ratio"
printf '%-58s %14s %14s %8s\n' "apply -> 1 replica Running (median of $RUNS_1)" "${FIG[troupe1]} ms" "${FIG[bare1]} ms" "$(ratio "${FIG[troupe1]}" "${FIG[bare1]}")"
printf '%-58s %14s %14s %8s\n' "apply -> 50 replicas Running (median of $RUNS_50)" "${FIG[troupe50]} ms" "${FIG[bare50]} ms" "$(ratio "${FIG[troupe50]}" "${FIG[bare50]}")"
printf '%-58s %14s\n' "kill -9 -> container running again (median of ${#heal[@]})" "${FIG[heal]} ms"
printf '%-58s %14s\n' "one-shot 'troupe get pods', 3 pods (median of $CLI_RUNS)" "${FIG[getpods]} ms"
printf '%-58s %14s\n' "one-shot 'troupe version' (median of $CLI_RUNS)" "${FIG[version]} ms"
if [ -n "${FIG[getpods_bin]:-}" ]; then
    printf '%-58s %14s\n' "  the same without the wrapper: .build/shell/troupe get pods" "${FIG[getpods_bin]} ms"
    printf '%-58s %14s\n' "  the same without the wrapper: .build/shell/troupe version" "${FIG[version_bin]} ms"
fi
printf '%-58s %14s %14s\n' "node memory, runc driver, 3 pods (RSS / PSS)" "$(kib_mib "$rr")" "$(kib_mib "$pr")"
printf '%-58s %14s %14s\n' "node memory, fake driver, 0 pods (RSS / PSS)" "$(kib_mib "$r0")" "$(kib_mib "$p0")"
printf '%-58s %14s %14s\n' "node memory, fake driver, ${FIG[fake_n]} pods (RSS / PSS)" "$(kib_mib "$r1")" "$(kib_mib "$p1")"
printf '%-58s %14s\n' "apply -> ${FIG[fake_n]} fake pods Running" "${FIG[fake_up]} ms"
echo "bare runc = 'runc run -d' of an equivalent busybox bundle (runc spec, same command and limits), one after another."
