#!/usr/bin/env bash
# Service and rollout figures, printed (not a timed test). Needs root, runc, conmon, busybox-static, jq, python3.
# Fresh TROUPE_HOME under /tmp.
#
#   bench/services.sh
#   SECONDS_PER_RUN=10 CLIENTS=8 REPLICAS=10 bench/services.sh
#
# Figures, measured in the same run with the same client (python3, one new TCP connection per request, CLIENTS
# threads, SECONDS_PER_RUN seconds each):
#   requests per second and p50/p99 latency of GET /index.html through the Service load balancer
#   (localhost:PORT of a LoadBalancer Service over 3 replicas of config/examples/web) next to the same GET sent
#   straight to one pod's address; then the Service with that one pod alone behind it (the balancer's own cost); the
#   ratios LB/direct. Each pod is limited to 250m CPU, as the example says.
#   rollout time of REPLICAS replicas (set image, maxSurge 25%, maxUnavailable 25%) until `rollout status` exits 0,
#   and the same with maxSurge 100% (all new pods at once).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TROUPE="$ROOT/troupe"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-8}
REPLICAS=${REPLICAS:-10}
PORT=${PORT:-18080}

WORK=$(mktemp -d /tmp/troupe-bench-services.XXXXXX)
export TROUPE_HOME=$WORK/home
mkdir -p "$TROUPE_HOME"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
cleanup() {
    set +e
    [ -f "$TROUPE_HOME/node.json" ] && timeout 120 "$TROUPE" down >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench/services.sh: needs root (runc driver)" >&2; exit 1; }
for tool in runc conmon jq python3; do
    command -v "$tool" >/dev/null || { echo "bench/services.sh: needs $tool" >&2; exit 1; }
done

cat > "$WORK/load.py" <<'PY'
import http.client, sys, threading, time
host, port, seconds, clients = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
lat, errors, lock = [], [0], threading.Lock()
def run():
    mine, bad, end = [], 0, time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request("GET", "/index.html")
            r = c.getresponse(); r.read(); c.close()
            if r.status == 200: mine.append(time.monotonic() - t)
            else: bad += 1
        except Exception:
            bad += 1
    with lock:
        lat.extend(mine); errors[0] += bad
threads = [threading.Thread(target=run) for _ in range(clients)]
for th in threads: th.start()
for th in threads: th.join()
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1000 if lat else float("nan")
print(f"{len(lat) / seconds:.0f} {p(0.5):.2f} {p(0.99):.2f} {errors[0]}")
PY

log "starting a node (runc driver) in $TROUPE_HOME"
"$TROUPE" up --driver runc >/dev/null
"$TROUPE" build -q -t example-web:1.0 "$ROOT/config/examples/web" >/dev/null
"$TROUPE" tag example-web:1.0 example-web:2.0
sed "s/port: 5000/port: $PORT/" "$ROOT/config/examples/web/service.yaml" > "$WORK/service.yaml"
"$TROUPE" apply -f "$ROOT/config/examples/web/deployment.yaml" -f "$WORK/service.yaml" >/dev/null
"$TROUPE" wait --for=condition=Available deployment/web --timeout 90s >/dev/null
pod_ip=$("$TROUPE" get pods -l app=web -o json | jq -r '.items[0].status.podIP')
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/index.html" >/dev/null && break; sleep 0.2; done

log "load through the Service (127.0.0.1:$PORT), $CLIENTS clients, ${SECONDS_PER_RUN}s"
read -r lb_rps lb_p50 lb_p99 lb_err < <(python3 "$WORK/load.py" 127.0.0.1 "$PORT" "$SECONDS_PER_RUN" "$CLIENTS")
log "load straight to one pod ($pod_ip:5000)"
read -r direct_rps direct_p50 direct_p99 direct_err < <(python3 "$WORK/load.py" "$pod_ip" 5000 "$SECONDS_PER_RUN" "$CLIENTS")
# the balancer's own cost: the same pod alone behind it
"$TROUPE" scale deployment web --replicas 1 >/dev/null
for _ in $(seq 1 100); do [ "$("$TROUPE" get ep web -o json | jq '[.subsets[]?.addresses[]?] | length')" = 1 ] && break; sleep 0.2; done
pod_ip=$("$TROUPE" get ep web -o json | jq -r '.subsets[0].addresses[0].ip')
log "load through the Service with 1 replica, then straight to it ($pod_ip)"
read -r lb1_rps lb1_p50 lb1_p99 lb1_err < <(python3 "$WORK/load.py" 127.0.0.1 "$PORT" "$SECONDS_PER_RUN" "$CLIENTS")
read -r d1_rps d1_p50 d1_p99 d1_err < <(python3 "$WORK/load.py" "$pod_ip" 5000 "$SECONDS_PER_RUN" "$CLIENTS")
"$TROUPE" delete -f "$WORK/service.yaml" >/dev/null
"$TROUPE" delete deployment web >/dev/null

rollout() { # $1 maxSurge -> ms from set image to rollout status exit 0
    cat > "$WORK/roll.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: roll}
spec:
  replicas: $REPLICAS
  strategy:
    rollingUpdate: {maxSurge: "$1", maxUnavailable: 25%}
  selector:
    matchLabels: {app: roll}
  template:
    metadata:
      labels: {app: roll}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: example-web:1.0
          ports: [{name: http, containerPort: 5000}]
          readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
YAML
    "$TROUPE" apply -f "$WORK/roll.yaml" >/dev/null
    "$TROUPE" rollout status deployment/roll --timeout 120s >/dev/null
    local s e
    s=$(now_ms)
    "$TROUPE" set image deployment/roll web=example-web:2.0 >/dev/null
    "$TROUPE" rollout status deployment/roll --timeout 300s >/dev/null
    e=$(now_ms)
    "$TROUPE" delete deployment roll >/dev/null
    for _ in $(seq 1 100); do [ "$("$TROUPE" get pods -l app=roll -o json | jq '.items | length')" = 0 ] && break; sleep 0.2; done
    echo $((e - s))
}
log "rollout of $REPLICAS replicas, maxSurge 25%"
roll_25=$(rollout 25%)
log "rollout of $REPLICAS replicas, maxSurge 100%"
roll_100=$(rollout 100%)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
printf '\n%-58s %10s %10s %10s %8s\n' "figure ($CLIENTS clients, ${SECONDS_PER_RUN}s, new connection per request)" "req/s" "p50 ms" "p99 ms" "errors"
printf '%-58s %10s %10s %10s %8s\n' "through the Service load balancer (3 replicas)" "$lb_rps" "$lb_p50" "$lb_p99" "$lb_err"
printf '%-58s %10s %10s %10s %8s\n' "straight to one pod" "$direct_rps" "$direct_p50" "$direct_p99" "$direct_err"
printf '%-58s %10s %10s %10s %8s\n' "through the Service load balancer (1 replica)" "$lb1_rps" "$lb1_p50" "$lb1_p99" "$lb1_err"
printf '%-58s %10s %10s %10s %8s\n' "straight to that pod" "$d1_rps" "$d1_p50" "$d1_p99" "$d1_err"
printf 'ratio LB/direct, 3 replicas vs one pod: throughput %s, p99 %s\n' "$(ratio "$lb_rps" "$direct_rps")" "$(ratio "$lb_p99" "$direct_p99")"
printf 'ratio LB/direct, the same single pod: throughput %s, p99 %s\n' "$(ratio "$lb1_rps" "$d1_rps")" "$(ratio "$lb1_p99" "$d1_p99")"
printf '\nrollout of %s replicas (set image until rollout status exits 0): maxSurge 25%% %s ms, maxSurge 100%% %s ms\n' "$REPLICAS" "$roll_25" "$roll_100"
