# shellcheck shell=bash
# Shared helpers for scripts/engines/*.sh: paths, logging, ports, pid files, process groups.
# Sourced by engines.sh; every engine file relies on these names.

# Repo root from this file's location, so the scripts work from any cwd and without git.
ENGINES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$ENGINES_DIR/../.." && pwd)"

# Per-checkout state (git-ignored): data, logs and pid files of the engines this repo started.
DATA_DIR="${SIGHTLINE_DATA_DIR:-$REPO_ROOT/.data}"
LOG_DIR="$DATA_DIR/logs"
RUN_DIR="$DATA_DIR/run"

# Machine-wide build/download cache, shared by every clone on this machine.
if [[ -z "${SIGHTLINE_CACHE:-}" ]]; then
  if [[ $EUID -eq 0 ]]; then SIGHTLINE_CACHE=/var/cache/sightline
  else SIGHTLINE_CACHE="$HOME/.cache/sightline"; fi
fi
export SIGHTLINE_CACHE

log() { printf '[engines] %s\n' "$*" >&2; }
warn() { printf '[engines] WARNING: %s\n' "$*" >&2; }
die() { printf '[engines] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $EUID -eq 0 ]]; }

# mkdir -p with 755: engines running as another user (ES as `sightline`) must traverse them,
# whatever the caller's umask.
mkdir_public() {
  local d
  for d in "$@"; do mkdir -p "$d" && chmod 755 "$d"; done
}

ensure_state_dirs() { mkdir_public "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"; }

# Accepting TCP connections on loopback. bash's /dev/tcp gives a real connect without
# needing nc; `timeout` guards against a SYN that is never answered.
port_accepts() {
  timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Tail of an engine's log, shown when it fails to start.
show_log_tail() {
  local file="$LOG_DIR/$1.log"
  if [[ -f "$file" ]]; then
    printf -- '----- last 30 lines of %s -----\n' "$file" >&2
    tail -n 30 "$file" >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  else
    printf 'no log file %s\n' "$file" >&2
  fi
}

# ---------------------------------------------------------------------------------------
# Pid files. Every engine process is started with `setsid`, so its pid is also its process
# group id: stopping the group stops its children too (java, beam.smp, ...) without ever
# matching processes by name.

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# Prints the pid recorded for NAME if that process is still alive, still the leader of its
# own group, and its command line still contains PATTERN (guards against pid reuse).
live_pid() {
  local name=$1 pattern=$2 file pid pgid
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" || return 1
  [[ "$pgid" == "$pid" ]] || return 1
  # (No `| grep -q` anywhere: under pipefail an early grep exit fails the writer with SIGPIPE.)
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"$pattern"* ]] || return 1
  printf '%s' "$pid"
}

# spawn NAME LOGNAME CMD...: run CMD in a new session (own process group, no controlling
# terminal, so no SIGHUP when the caller's terminal goes away: nohup is not needed), stdin
# from /dev/null, output appended to .data/logs/LOGNAME.log, pid written to .data/run/NAME.pid.
# fd 9 (the engines.sh lock) is closed so a long-running engine does not hold the lock.
spawn() {
  local name=$1 logname=$2; shift 2
  local logfile="$LOG_DIR/$logname.log" pidfile
  pidfile="$(pid_file "$name")"
  rm -f "$pidfile"
  printf '===== %s: starting %s =====\n' "$(date -Is)" "$name" >>"$logfile"
  # The new session leader writes its own pid, then execs the engine (same pid). $! is not
  # trusted: under job control (set -m) setsid forks and $! is a short-lived parent.
  # shellcheck disable=SC2016 # $$ and $0 belong to the inner shell
  setsid bash -c 'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  disown $!   # no "Killed" job notices from this shell when a failed start cleans up
  for _ in {1..50}; do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "$name: no pid file after 5s (see $logfile)"
}

# Any non-zombie member left in process group $1. Zombies are ignored: on machines whose
# init does not reap orphans (PID 1 here is not an init), dead engines linger as zombies.
group_alive() {
  ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# stop_group NAME PATTERN [TIMEOUT [RESEND]]: SIGTERM the recorded process group, wait for
# every member to exit, SIGKILL the group after TIMEOUT seconds, remove the pid file. With
# RESEND=N the SIGTERM is repeated every N seconds, for engines that lose a SIGTERM arriving
# while they boot (Erlang only handles it once its kernel app runs).
stop_group() {
  local name=$1 pattern=$2 timeout=${3:-30} resend=${4:-0} pid waited=0
  if ! pid="$(live_pid "$name" "$pattern")"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || true
  while group_alive "$pid"; do
    if (( waited >= timeout * 10 )); then
      warn "$name did not exit within ${timeout}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
    if (( resend > 0 && waited % (resend * 10) == 0 )); then
      kill -TERM -- "-$pid" 2>/dev/null || true
    fi
  done
  rm -f "$(pid_file "$name")"
}
