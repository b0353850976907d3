#!/usr/bin/env bash
# Infrastructure for development and tests: RabbitMQ (+ management UI, Prometheus plugin) and Redis are the
# machine's own (started here if stopped); the MongoDB-wire server (SecantusDB) is ours.
#   scripts/infra.sh up | down | status
set -euo pipefail
cd "$(dirname "$0")/.."
VAR=${LIKELY_DATA_DIR:-$PWD/var}
MONGO_PORT=${LIKELY_MONGO_PORT:-27017}
mkdir -p "$VAR/run" "$VAR/log" "$VAR/mongo"

port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

rabbit_up() {
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "starting RabbitMQ"
    rabbitmq-server -detached
    for _ in $(seq 1 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  rabbitmqctl -q await_startup
  # the management UI and API (:15672) and Prometheus metrics (:15692, per queue on /metrics/detailed)
  local enabled
  enabled=$(rabbitmq-plugins list -e -m 2>/dev/null || true)
  for plugin in rabbitmq_management rabbitmq_prometheus; do
    if ! grep -qx "$plugin" <<<"$enabled"; then
      rabbitmq-plugins enable -q "$plugin" >/dev/null
    fi
  done
}

redis_up() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 40); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.25; done
  fi
}

mongo_up() {
  if port_open "$MONGO_PORT"; then return; fi
  echo "starting the MongoDB-wire server (SecantusDB) on :$MONGO_PORT"
  # setsid: its own session and process group, so it outlives the shell (or tool, or CI step)
  # that started it; a group kill aimed at the caller must not take the shared server along.
  setsid nohup .venv/bin/secantusd-py --host 127.0.0.1 --port "$MONGO_PORT" --storage-path "$VAR/mongo" \
    >"$VAR/log/mongo.log" 2>&1 < /dev/null &
  echo $! >"$VAR/run/mongo.pid"
  for _ in $(seq 1 100); do port_open "$MONGO_PORT" && return; sleep 0.1; done
  echo "the MongoDB-wire server did not start; see $VAR/log/mongo.log" >&2; exit 1
}

mongo_down() {
  # Wait for the exit (it flushes for a few seconds): an `up` right after must not find the
  # port still open and reuse a server that is going away.
  if [ -f "$VAR/run/mongo.pid" ]; then
    pid=$(cat "$VAR/run/mongo.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$VAR/run/mongo.pid"
  fi
}

case "${1:-up}" in
  up) rabbit_up; redis_up; mongo_up ;;
  down) mongo_down ;;
  status)
    rabbitmqctl -q status >/dev/null 2>&1 && echo "rabbitmq: up" || echo "rabbitmq: down"
    redis-cli ping >/dev/null 2>&1 && echo "redis: up" || echo "redis: down"
    port_open "$MONGO_PORT" && echo "mongo: up" || echo "mongo: down" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
