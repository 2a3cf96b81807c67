#!/usr/bin/env bash
# Local engines for Sightline: RabbitMQ, FerretDB, Elasticsearch and an RTSP test camera.
#
#   scripts/engines/engines.sh install|start|stop|status [rabbitmq|ferretdb|elasticsearch|camera]...
#
# No engine = all. install: idempotent, machine-wide cache (SIGHTLINE_CACHE). start: loopback
# only, state under .data/ (git-ignored), waits until each engine answers; on failure prints
# the engine's log tail and stops what this call started. stop: only what start started (pid
# files, process groups). status: one line per engine "NAME running|starting|stopped pid PID
# port PORT" (exit 0: callers parse it under pipefail, e.g. scripts/test.sh).
#
# Ports: RABBITMQ_PORT (5672), FERRETDB_PORT (27017), ELASTICSEARCH_PORT (9200),
# CAMERA_PORT (8554). See the engine files for the rest (ES_HEAP, CAMERA_SHARED, ...).
# SIGHTLINE_ENGINES=cluster: RabbitMQ and Elasticsearch as three nodes each (cluster.sh);
# stop stops both layouts.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR
source "$ENGINES_DIR/rabbitmq.sh"
# shellcheck source-path=SCRIPTDIR
source "$ENGINES_DIR/ferretdb.sh"
# shellcheck source-path=SCRIPTDIR
source "$ENGINES_DIR/elasticsearch.sh"
# shellcheck source-path=SCRIPTDIR
source "$ENGINES_DIR/camera.sh"
# shellcheck source-path=SCRIPTDIR
source "$ENGINES_DIR/cluster.sh"

ALL_ENGINES=(rabbitmq ferretdb elasticsearch camera)
# Engines whose install is long and needs no apt package: run beside apt-get.
BACKGROUND_INSTALLS=(ferretdb elasticsearch)

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# Serialises concurrent engines.sh calls on one lock file (fd 9; spawned engines close it).
take_lock() {
  exec 9>"$1"
  flock -w 300 9 || die "another engines.sh is still running (lock $1)"
}

# An engine may run as several processes (cluster.sh): it then says itself whether it runs
# (`<engine>_live_pid`), whether a port it needs is taken (`<engine>_port_taken`) and whether
# it listens (`<engine>_answers`).
engine_pid() {
  if declare -F "$1_live_pid" >/dev/null; then "$1_live_pid"; else live_pid "$1" "$("$1_pattern")"; fi
}
engine_port_taken() {
  if declare -F "$1_port_taken" >/dev/null; then "$1_port_taken"; else port_accepts "$("$1_port")"; fi
}
engine_answers() {
  if declare -F "$1_answers" >/dev/null; then "$1_answers"; else port_accepts "$("$1_port")"; fi
}

# ---------------------------------------------------------------------------------------
# install

# Installs the missing ones of the given Debian packages. Nothing (not even apt-get update)
# runs when all are present, which keeps a second install fast.
apt_install() {
  local missing=() p
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" == installed ]] || missing+=("$p")
  done
  (( ${#missing[@]} )) || return 0
  is_root || die "missing Debian packages (run as root): ${missing[*]}"
  log "apt: installing ${missing[*]}"
  # Debian's rabbitmq-server starts its own node from its postinst; a policy-rc.d that
  # answers 101 denies every service start while we install (ours is started by `start`).
  local policy=/usr/sbin/policy-rc.d ours=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# Written by sightline engines.sh during apt-get install.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  } || rc=$?
  if (( ours )); then rm -f "$policy"; fi
  (( rc == 0 )) || die "apt-get install failed (exit $rc)"
  if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then rabbitmq_disable_service; fi
}

cmd_install() {
  mkdir_public "$SIGHTLINE_CACHE"
  take_lock "$SIGHTLINE_CACHE/.install.lock"
  local e p=() pkgs=() failed=() bg=()
  local -A install_pids=()
  for e in "${ENGINES[@]}"; do
    read -ra p <<<"$("${e}_apt_packages")"
    pkgs+=("${p[@]}")
    if [[ " ${BACKGROUND_INSTALLS[*]} " == *" $e "* ]]; then bg+=("$e"); fi
  done
  # Optional quick steps that must not overlap apt-get (useradd and the package's adduser
  # both lock /etc/passwd).
  for e in "${ENGINES[@]}"; do
    if declare -F "${e}_install_first" >/dev/null; then "${e}_install_first"; fi
  done
  # Long downloads/builds run in parallel with apt-get, each output prefixed by its name.
  for e in "${bg[@]}"; do
    ( "${e}_install" 2>&1 | sed -u "s/^/[$e] /" >&2 ) &
    install_pids[$e]=$!
  done
  apt_install "${pkgs[@]}"
  for e in "${ENGINES[@]}"; do
    [[ -n "${install_pids[$e]:-}" ]] || "${e}_install"
  done
  for e in "${bg[@]}"; do
    wait "${install_pids[$e]}" || failed+=("$e")
  done
  (( ${#failed[@]} == 0 )) || die "install failed: ${failed[*]}"
  log "install: done (${ENGINES[*]}; cache $SIGHTLINE_CACHE)"
}

# ---------------------------------------------------------------------------------------
# start

STARTED=()   # engines this call started: stopped again if the call fails

stop_engines() {
  local e pids=()
  for e in "$@"; do ( "${e}_stop" ) & pids+=($!); done
  local rc=0 p
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

on_start_exit() {
  local rc=$?
  if (( rc != 0 && ${#STARTED[@]} )); then
    log "start failed: stopping what this call started: ${STARTED[*]}"
    stop_engines "${STARTED[@]}" || true
  fi
  exit "$rc"
}

start_failed() {
  local e=$1 why=$2
  printf '[engines] ERROR: %s %s\n' "$e" "$why" >&2
  show_log_tail "$e"
  exit 1
}

# An engine's idempotent set-up that needs it running (e.g. RabbitMQ's accounts), if it has one.
configure_engine() {
  if declare -F "$1_configure" >/dev/null; then "$1_configure"; fi
}

cmd_start() {
  ensure_state_dirs
  take_lock "$RUN_DIR/.lock"
  trap on_start_exit EXIT
  trap 'exit 130' INT TERM
  local e pid pending=()
  local -A deadline=()
  for e in "${ENGINES[@]}"; do
    if pid="$(engine_pid "$e")"; then
      if "${e}_ready"; then
        log "$e: already running (pid $pid, port $("${e}_port"))"
        configure_engine "$e"
        continue
      fi
      log "$e: process $pid exists but does not answer yet: waiting for it"
    else
      declare -F "${e}_live_pid" >/dev/null || rm -f "$(pid_file "$e")"
      if engine_port_taken "$e"; then
        die "$e: port $("${e}_port") is already in use by another process (not started by this repo's engines.sh)"
      fi
      STARTED+=("$e")
      "${e}_start"
    fi
    pending+=("$e")
    deadline[$e]=$((SECONDS + $("${e}_timeout")))
  done

  # Poll all pending engines together: they boot in parallel, and one that dies or times
  # out fails the call at once.
  local began=$SECONDS still
  while (( ${#pending[@]} )); do
    still=()
    for e in "${pending[@]}"; do
      if "${e}_ready"; then
        log "$e: ready after $((SECONDS - began))s on port $("${e}_port")"
        configure_engine "$e"
      elif ! engine_pid "$e" >/dev/null; then
        start_failed "$e" "exited before it was ready"
      elif (( SECONDS >= deadline[$e] )); then
        start_failed "$e" "was not ready within $("${e}_timeout")s"
      else
        still+=("$e")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    (( ${#pending[@]} )) && sleep 0.5
  done
  STARTED=()
  trap - EXIT INT TERM
  cmd_status
}

# ---------------------------------------------------------------------------------------
# stop / status

cmd_stop() {
  ensure_state_dirs
  take_lock "$RUN_DIR/.lock"
  stop_engines "${ENGINES[@]}"
  log "stopped: ${ENGINES[*]}"
}

cmd_status() {
  local e pid state
  for e in "${ENGINES[@]}"; do
    if pid="$(engine_pid "$e")"; then
      if engine_answers "$e"; then state=running; else state=starting; fi
    else
      state=stopped pid=-
    fi
    printf '%-14s %-9s pid %-8s port %s\n' "$e" "$state" "$pid" "$("${e}_port")"
  done
}

# ---------------------------------------------------------------------------------------

(( $# >= 1 )) || usage
COMMAND=$1; shift
ENGINES=()
for arg in "$@"; do
  [[ " ${ALL_ENGINES[*]} " == *" $arg "* ]] || die "unknown engine '$arg' (known: ${ALL_ENGINES[*]})"
  ENGINES+=("$arg")
done
(( ${#ENGINES[@]} )) || ENGINES=("${ALL_ENGINES[@]}")

case "$COMMAND" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
