#!/usr/bin/env bash
# The whole stack in the background: infrastructure, the Instagram sandbox and every service.
#   scripts/stack.sh up     (LABELERS=N labelers, INFERERS=N inferers; returns when /readyz is ready)
#   scripts/stack.sh down
#   scripts/stack.sh status   (with each worker's /healthz)
# Every worker process serves /metrics and /healthz on a port of its own, handed out in start
# order from METRICS_PORTS_FROM (default 9101; 0: none) as LIKELY_METRICS_PORT; the list is in
# var/run/stack/prometheus-targets.json (a Prometheus file_sd file) and `status` shows them.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR=${LIKELY_DATA_DIR:-$PWD/var}
PY=${PY:-$PWD/.venv/bin/python}
LABELERS=${LABELERS:-2}
INFERERS=${INFERERS:-1}
PORT=${LIKELY_GATEWAY_PORT:-8000}
METRICS_PORTS_FROM=${METRICS_PORTS_FROM:-9101}
RUN="$VAR/run/stack"
LOG="$VAR/log"
mkdir -p "$RUN" "$LOG"
next_metrics_port=$METRICS_PORTS_FROM

start() {  # start NAME MODULE...: one background process, its pid and log kept under var/
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then return; fi
  nohup "$PY" -m "$@" >>"$LOG/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

start_worker() {  # start_worker NAME MODULE: a worker, with its own metrics port (same order, same port)
  local name=$1 port=0
  if [ "$METRICS_PORTS_FROM" != 0 ]; then
    port=$next_metrics_port
    next_metrics_port=$((next_metrics_port + 1))
    echo "$port" >"$RUN/$name.metrics"
  fi
  LIKELY_METRICS_PORT=$port start "$@"
}

metrics_targets() {  # the workers' metrics ports as a Prometheus file_sd file
  local first=1
  shopt -s nullglob
  {
    echo "["
    for f in "$RUN"/*.metrics; do
      name=$(basename "$f" .metrics)
      [ $first = 1 ] || echo ","
      first=0
      printf '  {"targets": ["127.0.0.1:%s"], "labels": {"job": "%s", "process": "%s"}}' "$(cat "$f")" "${name%-[0-9]*}" "$name"
    done
    echo; echo "]"
  } >"$RUN/prometheus-targets.json"
}

up() {
  bash scripts/infra.sh up
  start sandbox sandbox.instagram
  rm -f "$RUN"/*.metrics
  start_worker ingestor services.ingestor
  start_worker builder services.builder
  start_worker janitor services.janitor
  for i in $(seq 1 "$LABELERS"); do start_worker "labeler-$i" services.labeler; done
  if [ -d services/inferer ] && [ -f services/inferer/__main__.py ]; then
    for i in $(seq 1 "$INFERERS"); do start_worker "inferer-$i" services.inferer; done
  fi
  metrics_targets
  start gateway services.gateway
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
      echo "Likely is up: gateway http://127.0.0.1:$PORT  RabbitMQ UI http://127.0.0.1:15672 (guest/guest)  logs $LOG"
      [ "$METRICS_PORTS_FROM" = 0 ] || echo "worker metrics: ports $METRICS_PORTS_FROM-$((next_metrics_port - 1)) (/metrics, /healthz; $RUN/prometheus-targets.json), RabbitMQ :15692"
      return
    fi
    sleep 0.5
  done
  echo "the gateway did not become ready; see $LOG" >&2
  exit 1
}

down() {
  shopt -s nullglob
  for f in "$RUN"/*.pid; do
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f" "${f%.pid}.metrics"
  done
  bash scripts/infra.sh down
}

status() {
  shopt -s nullglob
  for f in "$RUN"/*.pid; do
    name=$(basename "$f" .pid)
    health=""
    if [ -f "$RUN/$name.metrics" ]; then
      health=" (:$(cat "$RUN/$name.metrics") $(curl -s -m 2 "http://127.0.0.1:$(cat "$RUN/$name.metrics")/healthz" || echo unreachable))"
    fi
    kill -0 "$(cat "$f")" 2>/dev/null && echo "$name: running$health" || echo "$name: dead"
  done
  bash scripts/infra.sh status
}

case "${1:-up}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
