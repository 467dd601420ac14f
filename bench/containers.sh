#!/usr/bin/env bash
# Docker-on-one-machine figures, printed (not a timed test). Needs root, runc, conmon, busybox-static, jq; installs
# podman from Debian when it is missing (set NO_PODMAN=1 to skip that peer). Fresh TROUPE_HOME under /tmp.
#
#   bench/containers.sh                  all figures
#   RUNS=30 BUILD_RUNS=5 bench/containers.sh
#
# Figures, each the median and p90 of RUNS runs, measured in the same run:
#   `troupe run --rm busybox true`, start to exit, next to bare `runc run` of a busybox bundle (`true`) and
#   `podman run --rm` of the same busybox image; ratios troupe/runc and troupe/podman.
#   `troupe build` of a 5-step Dockerfile (FROM, WORKDIR, COPY, RUN, CMD): cold (--no-cache) and cached.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
RUNS=${RUNS:-30}
BUILD_RUNS=${BUILD_RUNS:-5}
RUNC=$(command -v runc || echo /usr/sbin/runc)

WORK=$(mktemp -d /tmp/troupe-bench-containers.XXXXXX)
export TROUPE_HOME=$WORK/home
BARE_ROOT=$WORK/bare-runc
BUNDLE=$WORK/bundle
mkdir -p "$TROUPE_HOME"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# stdin: one number a line -> "median p90"
stats() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "n/a n/a"; exit} m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; i = int(NR*0.9 + 0.999); if (i>NR) i=NR; printf "%s %s\n", m, a[i]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || b == "n/a" || a == "n/a") print "n/a"; else printf "%.2f\n", a / b }'; }
timed() { local s e; s=$(now_ms); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }; e=$(now_ms); echo $((e - s)); }

cleanup() {
    set +e
    [ -f "$TROUPE_HOME/node.json" ] && timeout 120 "$TROUPE" down >/dev/null 2>&1
    grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench/containers.sh: needs root (runc driver)" >&2; exit 1; }
for tool in runc conmon jq busybox; do
    command -v "$tool" >/dev/null || { echo "bench/containers.sh: needs $tool (apt-get install -y runc conmon jq busybox-static)" >&2; exit 1; }
done
if [ -z "${NO_PODMAN:-}" ] && ! command -v podman >/dev/null; then
    log "installing podman (the peer) from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y podman >/dev/null 2>&1 || log "podman could not be installed: that peer is n/a"
fi

log "starting a node (runc driver) in $TROUPE_HOME"
"$TROUPE" up --driver runc >/dev/null
"$TROUPE" run --rm busybox true >/dev/null # warm: the busybox image and the node's first pod

log "troupe run --rm busybox true x $RUNS"
read -r troupe_med troupe_p90 < <(for _ in $(seq 1 "$RUNS"); do timed "$TROUPE" run --rm busybox true; done | stats)

log "bare runc run (true) x $RUNS"
mkdir -p "$BUNDLE/rootfs/bin" "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/dev" "$BUNDLE/rootfs/sys" "$BUNDLE/rootfs/tmp"
cp "$(command -v busybox)" "$BUNDLE/rootfs/bin/busybox"
ln -s busybox "$BUNDLE/rootfs/bin/true"
( cd "$BUNDLE" && "$RUNC" spec )
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$BUNDLE/config.json" > "$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
read -r runc_med runc_p90 < <(for i in $(seq 1 "$RUNS"); do
    timed "$RUNC" --root "$BARE_ROOT" run --bundle "$BUNDLE" "bare-$i" </dev/null
    "$RUNC" --root "$BARE_ROOT" delete --force "bare-$i" >/dev/null 2>&1 || true
done | stats)

podman_med=n/a; podman_p90=n/a
if [ -z "${NO_PODMAN:-}" ] && command -v podman >/dev/null; then
    log "podman run --rm busybox true x $RUNS"
    PODMAN=(podman --runtime "$RUNC" --cgroup-manager cgroupfs --root "$WORK/podman" --runroot "$WORK/podman-run")
    "$TROUPE" save busybox -o "$WORK/busybox.tar" >/dev/null
    if "${PODMAN[@]}" load -i "$WORK/busybox.tar" >/dev/null 2>&1; then
        img=$("${PODMAN[@]}" images -q | head -1)
        PRUN=("${PODMAN[@]}" run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$img" true)
        "${PRUN[@]}" >/dev/null 2>&1 || log "podman run failed: that peer is n/a"
        read -r podman_med podman_p90 < <(for _ in $(seq 1 "$RUNS"); do timed "${PRUN[@]}" || true; done | stats)
    else
        log "podman could not load the busybox image: that peer is n/a"
    fi
fi

log "troupe build, 5 steps, cold (--no-cache) and cached x $BUILD_RUNS"
CTX=$WORK/ctx
mkdir -p "$CTX"
echo "hello" > "$CTX/app.txt"
cat > "$CTX/Dockerfile" <<'DOCKERFILE'
FROM busybox
WORKDIR /app
COPY app.txt .
RUN echo "built $(cat app.txt)" > /built.txt
CMD ["cat", "/built.txt"]
DOCKERFILE
read -r cold_med cold_p90 < <(for _ in $(seq 1 "$BUILD_RUNS"); do timed "$TROUPE" build --no-cache -t bench-app:1 "$CTX"; done | stats)
read -r warm_med warm_p90 < <(for _ in $(seq 1 "$BUILD_RUNS"); do timed "$TROUPE" build -t bench-app:1 "$CTX"; done | stats)

echo
echo "Troupe container figures ($(date -u +%Y-%m-%d), $(nproc) cores, runs=$RUNS)"
printf '%-44s %10s %10s\n' "" "median ms" "p90 ms"
printf '%-44s %10s %10s\n' "troupe run --rm busybox true" "$troupe_med" "$troupe_p90"
printf '%-44s %10s %10s\n' "runc run (true), bare" "$runc_med" "$runc_p90"
printf '%-44s %10s %10s\n' "podman run --rm busybox true" "$podman_med" "$podman_p90"
printf '%-44s %10s %10s\n' "troupe build (5 steps), cold" "$cold_med" "$cold_p90"
printf '%-44s %10s %10s\n' "troupe build (5 steps), cached" "$warm_med" "$warm_p90"
echo "ratio troupe/runc (median): $(ratio "$troupe_med" "$runc_med")   troupe/podman (median): $(ratio "$troupe_med" "$podman_med")"
