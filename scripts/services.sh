#!/usr/bin/env bash
# Starts or stops the four Sightline processes in the background (logs and pids under .data/),
# from the build in dist/. `start` waits until the gateway is ready; a second start is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${SIGHTLINE_DATA_DIR:-.data}"
RUN_DIR="${SIGHTLINE_RUN_DIR:-$DATA_DIR/run}"
LOG_DIR="${SIGHTLINE_LOG_DIR:-$DATA_DIR/logs}"
NODE="$PWD/node_modules/.bin/node"
SERVICES=(command query media gateway)

entry() {
  case "$1" in
    gateway) echo dist/gateway/src/main.js ;;
    *) echo "dist/subgraphs/$1/src/main.js" ;;
  esac
}

# The pid of whatever listens on a TCP port on this machine (empty when nothing does).
pid_on_port() {
  { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; } || true
}

# A service runs when its recorded process lives, or when something already listens on its port
# (a process started by hand, or whose pid file was lost): never started twice.
alive() {
  local pid_file="$RUN_DIR/$1.pid"
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then return 0; fi
  local pid
  pid="$(pid_on_port "$(port_of "$1")")"
  if [ -n "$pid" ]; then
    echo "$pid" >"$pid_file"
    return 0
  fi
  return 1
}

wait_http() {
  local name="$1" url="$2" timeout="$3" waited=0
  until curl -fs -o /dev/null "$url"; do
    if ! alive "$name"; then
      echo "[services] $name exited; last lines of $LOG_DIR/$name.log:" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      return 1
    fi
    if [ "$waited" -ge "$timeout" ]; then
      echo "[services] $name not ready after ${timeout}s; last lines of $LOG_DIR/$name.log:" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

port_of() {
  case "$1" in
    gateway) echo "${GATEWAY_PORT:-4000}" ;;
    command) echo "${COMMAND_PORT:-4001}" ;;
    query) echo "${QUERY_PORT:-4002}" ;;
    media) echo "${MEDIA_PORT:-4003}" ;;
  esac
}

start() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # All four start at once: the gateway itself waits for the subgraphs before composing them.
  local started=()
  for name in "${SERVICES[@]}"; do
    if alive "$name"; then
      echo "[services] $name already running (pid $(cat "$RUN_DIR/$name.pid"))"
      continue
    fi
    nohup "$NODE" "$(entry "$name")" >>"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    started+=("$name")
  done
  for name in "${SERVICES[@]}"; do
    local path=healthz
    [ "$name" = gateway ] && path=readyz
    if ! wait_http "$name" "http://127.0.0.1:$(port_of "$name")/$path" 90; then
      echo "[services] start failed; stopping what this call started: ${started[*]:-nothing}" >&2
      for s in "${started[@]}"; do stop_one "$s"; done
      return 1
    fi
  done
}

stop_one() {
  local name="$1" pid_file="$RUN_DIR/$1.pid" pid
  if [ -f "$pid_file" ]; then pid="$(cat "$pid_file")"; else pid="$(pid_on_port "$(port_of "$name")")"; fi
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  echo "[services] $name stopped"
}

stop() {
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_one "${SERVICES[$i]}"; done
}

status() {
  for name in "${SERVICES[@]}"; do
    if alive "$name"; then echo "$name running pid $(cat "$RUN_DIR/$name.pid") port $(port_of "$name")"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  start)
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    start
    ;;
  stop)
    mkdir -p "$RUN_DIR"
    stop
    ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
