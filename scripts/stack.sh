#!/usr/bin/env bash
# The whole stack in the background: infrastructure, the Instagram sandbox and every service.
#   scripts/stack.sh up     (LABELERS=N labelers, INFERERS=N inferers; returns when /readyz is ready)
#   scripts/stack.sh down
#   scripts/stack.sh status
set -euo pipefail
cd "$(dirname "$0")/.."
VAR=${LIKELY_DATA_DIR:-$PWD/var}
PY=${PY:-$PWD/.venv/bin/python}
LABELERS=${LABELERS:-2}
INFERERS=${INFERERS:-1}
PORT=${LIKELY_GATEWAY_PORT:-8000}
RUN="$VAR/run/stack"
LOG="$VAR/log"
mkdir -p "$RUN" "$LOG"

start() {  # start NAME MODULE...: one background process, its pid and log kept under var/
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then return; fi
  nohup "$PY" -m "$@" >>"$LOG/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

up() {
  bash scripts/infra.sh up
  start sandbox sandbox.instagram
  start ingestor services.ingestor
  start builder services.builder
  start janitor services.janitor
  for i in $(seq 1 "$LABELERS"); do start "labeler-$i" services.labeler; done
  if [ -d services/inferer ] && [ -f services/inferer/__main__.py ]; then
    for i in $(seq 1 "$INFERERS"); do start "inferer-$i" services.inferer; done
  fi
  start gateway services.gateway
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
      echo "Likely is up: gateway http://127.0.0.1:$PORT  RabbitMQ UI http://127.0.0.1:15672 (guest/guest)  logs $LOG"
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
    rm -f "$f"
  done
  bash scripts/infra.sh down
}

status() {
  shopt -s nullglob
  for f in "$RUN"/*.pid; do
    name=$(basename "$f" .pid)
    kill -0 "$(cat "$f")" 2>/dev/null && echo "$name: running" || echo "$name: dead"
  done
  bash scripts/infra.sh status
}

case "${1:-up}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
