# shellcheck shell=bash
# RabbitMQ: Debian's rabbitmq-server, run as this repo's own node (not the Debian service).
# The node lives entirely under .data/rabbitmq: its mnesia, config, Erlang cookie (HOME) and
# its own epmd on a non-default port, so it never meets a system RabbitMQ/Erlang.

RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
# Erlang distribution (used by rabbitmqctl/rabbitmq-diagnostics): RabbitMQ's convention.
RABBITMQ_DIST_PORT="${RABBITMQ_DIST_PORT:-$((RABBITMQ_PORT + 20000))}"
# Our own epmd, off the system-wide 4369 (a Debian epmd.socket or another node may hold it)
# and below the ephemeral port range.
RABBITMQ_EPMD_PORT="${RABBITMQ_EPMD_PORT:-14369}"
RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-sightline@localhost}"
RABBITMQ_START_TIMEOUT="${RABBITMQ_START_TIMEOUT:-90}"
RABBITMQ_HOME_DIR="$DATA_DIR/rabbitmq"
# Where the Erlang cookie lives (the node's HOME): a cluster's nodes share one (cluster.sh).
RABBITMQ_COOKIE_DIR="$RABBITMQ_HOME_DIR"
# Pid and log file name of the node (cluster.sh runs rabbitmq-1..3).
RABBITMQ_PID_NAME=rabbitmq
# Extra lines of a new node's rabbitmq.conf (cluster.sh sets the partition handling).
RABBITMQ_EXTRA_CONF=""
RABBITMQ_LIB_BIN=/usr/lib/rabbitmq/bin   # the real scripts, not Debian's su-to-rabbitmq wrappers

# The account external systems publish with (README: AMQP_INGEST_URL). It may write to the ingest
# exchange of any namespace (tests run in namespaces of their own) and do nothing else: no
# declaring, binding, reading or purging, no publishing to `<ns>.events` or the default exchange.
# The services keep their own account (guest, accepted on loopback only).
RABBITMQ_INGEST_USER="${RABBITMQ_INGEST_USER:-sightline-ingest}"
RABBITMQ_INGEST_PASSWORD="${RABBITMQ_INGEST_PASSWORD:-sightline-ingest}"
# Namespaces never contain a dot, so this names `<ns>.ingest` and not `<ns>.ingest.dlq`; the
# ingest queue shares the exchange's name, but binding it needs read on an exchange, and
# consuming or purging it needs read on it: read is nothing.
RABBITMQ_INGEST_CONFIGURE='^$'
RABBITMQ_INGEST_WRITE='^[^.]+\.ingest$'
RABBITMQ_INGEST_READ='^$'

rabbitmq_apt_packages() { echo rabbitmq-server; }
rabbitmq_port() { echo "$RABBITMQ_PORT"; }
rabbitmq_pattern() { echo rabbitmq-server; }
rabbitmq_timeout() { echo "$RABBITMQ_START_TIMEOUT"; }

# The Debian package starts (and enables) its own rabbit@<host> on 5672/25672/4369, which
# would clash with ours. engines.sh installs packages with a policy-rc.d that denies service
# starts; this catches a service started some other way (e.g. installed before this script).
rabbitmq_install() {
  [[ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ]] || die "rabbitmq-server package is not installed"
  is_root || return 0
  if pgrep -u rabbitmq -x beam.smp >/dev/null 2>&1; then
    log "rabbitmq: stopping the Debian rabbitmq-server service (it would hold port 5672)"
    if [[ -d /run/systemd/system ]]; then systemctl stop rabbitmq-server || true
    else service rabbitmq-server stop || true; fi
  fi
}

# Called once right after apt installed the package: keep the Debian service off at boot.
rabbitmq_disable_service() {
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null; then
    update-rc.d rabbitmq-server disable >/dev/null 2>&1 || true
  fi
}

# Environment shared by the server and the CLI tools (same node, cookie and epmd).
rabbitmq_env() {
  local d=$RABBITMQ_HOME_DIR
  RABBITMQ_ENV=(
    "HOME=$RABBITMQ_COOKIE_DIR"                 # Erlang cookie: $RABBITMQ_COOKIE_DIR/.erlang.cookie
    "ERL_EPMD_PORT=$RABBITMQ_EPMD_PORT"
    "ERL_EPMD_ADDRESS=127.0.0.1"
    "RABBITMQ_NODENAME=$RABBITMQ_NODENAME"
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    "RABBITMQ_NODE_PORT=$RABBITMQ_PORT"
    "RABBITMQ_DIST_PORT=$RABBITMQ_DIST_PORT"
    "RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf" # not /etc/rabbitmq/rabbitmq-env.conf
    "RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$d/advanced.config"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins"
    "RABBITMQ_MNESIA_BASE=$d/mnesia"
    "RABBITMQ_LOG_BASE=$d/log"
    "RABBITMQ_LOGS=-"                           # console: lands in .data/logs/rabbitmq.log
    "RABBITMQ_PID_FILE=$d/rabbit.pid"
    # Distribution listener on loopback only (server and CLI).
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    "RABBITMQ_CTL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
  )
}

# rabbitmq_cli TOOL ARGS...: e.g. `rabbitmq_cli rabbitmqctl list_queues` against our node.
rabbitmq_cli() {
  local tool=$1; shift
  rabbitmq_env
  env "${RABBITMQ_ENV[@]}" "$RABBITMQ_LIB_BIN/$tool" -n "$RABBITMQ_NODENAME" "$@"
}

rabbitmq_start() {
  rabbitmq_ensure_epmd
  rabbitmq_start_node
}

# Our epmd, in the foreground so its pid is known and `stop` ends it (an epmd started by erl
# itself daemonizes and outlives the node). The nodes of a cluster share it.
rabbitmq_ensure_epmd() {
  local epmd i
  [[ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ]] || die "rabbitmq: not installed (run: engines.sh install rabbitmq)"
  epmd="$(command -v epmd || true)"
  [[ -n "$epmd" ]] || die "rabbitmq: epmd not found (erlang-base missing?)"
  mkdir -p "$RABBITMQ_COOKIE_DIR"
  rabbitmq_env
  if ! live_pid rabbitmq-epmd epmd >/dev/null; then
    if port_accepts "$RABBITMQ_EPMD_PORT"; then
      die "rabbitmq: epmd port $RABBITMQ_EPMD_PORT is already in use (set RABBITMQ_EPMD_PORT)"
    fi
    spawn rabbitmq-epmd rabbitmq env "${RABBITMQ_ENV[@]}" "$epmd" -port "$RABBITMQ_EPMD_PORT" -address 127.0.0.1
  fi
  # The node must find our epmd listening, else erl starts a daemonized one of its own.
  # (`epmd -names` asks it properly; a bare TCP probe makes epmd log "partial packet".)
  for i in {1..50}; do
    "$epmd" -port "$RABBITMQ_EPMD_PORT" -names >/dev/null 2>&1 && break
    live_pid rabbitmq-epmd epmd >/dev/null || die "rabbitmq: epmd exited at start"
    (( i < 50 )) || die "rabbitmq: epmd not listening on $RABBITMQ_EPMD_PORT after 5s"
    sleep 0.1
  done
}

# Starts the node the RABBITMQ_* variables describe (its epmd must run).
rabbitmq_start_node() {
  local d=$RABBITMQ_HOME_DIR pid
  mkdir -p "$d/mnesia" "$d/log"
  [[ -f "$d/rabbitmq-env.conf" ]] || : >"$d/rabbitmq-env.conf"
  [[ -f "$d/enabled_plugins" ]] || echo '[].' >"$d/enabled_plugins"
  if [[ ! -f "$d/rabbitmq.conf" ]]; then
    cat >"$d/rabbitmq.conf" <<EOF
# Local development node started by scripts/engines/engines.sh (edit freely: written once).
# guest/guest is accepted on loopback only (RabbitMQ's default).
loopback_users.guest = true
$RABBITMQ_EXTRA_CONF
EOF
  fi
  rabbitmq_env
  if port_accepts "$RABBITMQ_DIST_PORT"; then
    die "rabbitmq: distribution port $RABBITMQ_DIST_PORT is already in use (set RABBITMQ_DIST_PORT)"
  fi
  # Foreground server (not -detached, whose pid is unknown); its script traps SIGTERM and
  # shuts the node down cleanly.
  spawn "$RABBITMQ_PID_NAME" "$RABBITMQ_PID_NAME" env "${RABBITMQ_ENV[@]}" "$RABBITMQ_LIB_BIN/rabbitmq-server"
  pid="$(<"$(pid_file "$RABBITMQ_PID_NAME")")"
  log "rabbitmq: started pid $pid (node $RABBITMQ_NODENAME, amqp 127.0.0.1:$RABBITMQ_PORT)"
}

# Really answers: AMQP port accepts and the node reports the rabbit app running.
rabbitmq_ready() {
  port_accepts "$RABBITMQ_PORT" || return 1
  rabbitmq_cli rabbitmq-diagnostics -q check_running >/dev/null 2>&1
}

rabbitmq_stop() {
  stop_group rabbitmq "$(rabbitmq_pattern)" 60 3
  # `npm stop` stops whichever layout runs: the cluster's nodes too (cluster.sh), before their epmd.
  rabbitmq_cluster_stop_nodes
  stop_group rabbitmq-epmd epmd 10
}

# Runs once the node answers (on every start, also when it already ran): creates the ingest
# account if missing, resets its password if it changed, and (re)sets its permissions.
rabbitmq_configure() { rabbitmq_accounts; }

rabbitmq_accounts() {
  local users
  users="$(rabbitmq_cli rabbitmqctl -q list_users --no-table-headers)" || die "rabbitmq: cannot list users"
  if ! awk -v u="$RABBITMQ_INGEST_USER" '$1 == u { found = 1 } END { exit !found }' <<<"$users"; then
    rabbitmq_cli rabbitmqctl -q add_user "$RABBITMQ_INGEST_USER" "$RABBITMQ_INGEST_PASSWORD" >/dev/null ||
      die "rabbitmq: cannot add user $RABBITMQ_INGEST_USER"
    log "rabbitmq: created the ingest account $RABBITMQ_INGEST_USER"
  elif ! rabbitmq_cli rabbitmqctl -q authenticate_user "$RABBITMQ_INGEST_USER" "$RABBITMQ_INGEST_PASSWORD" >/dev/null 2>&1; then
    rabbitmq_cli rabbitmqctl -q change_password "$RABBITMQ_INGEST_USER" "$RABBITMQ_INGEST_PASSWORD" >/dev/null ||
      die "rabbitmq: cannot set the password of $RABBITMQ_INGEST_USER"
  fi
  rabbitmq_cli rabbitmqctl -q set_permissions -p / "$RABBITMQ_INGEST_USER" \
    "$RABBITMQ_INGEST_CONFIGURE" "$RABBITMQ_INGEST_WRITE" "$RABBITMQ_INGEST_READ" >/dev/null ||
    die "rabbitmq: cannot set the permissions of $RABBITMQ_INGEST_USER"
}
