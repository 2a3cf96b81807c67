# shellcheck shell=bash
# Clustered engines (SIGHTLINE_ENGINES=cluster): RabbitMQ as three clustered nodes and
# Elasticsearch as three nodes of one cluster, all on this machine. FerretDB and the camera stay
# single. Sourced after rabbitmq.sh and elasticsearch.sh; in cluster mode it replaces their
# start/ready/configure functions, and both modes' stop also stops the other layout's nodes.
#
# Node k (1..3) of RabbitMQ: AMQP RABBITMQ_PORT+k-1 (5672..5674), distribution
# RABBITMQ_DIST_PORT+k-1 (25672..25674), node RABBITMQ_CLUSTER_NODENAME-k@localhost
# (sightline-k), data .data/rabbitmq-cluster/node-k, one Erlang cookie and one epmd for all three;
# nodes 2 and 3 join node 1 with `rabbitmqctl join_cluster` at the first start.
# Node k of Elasticsearch: HTTP ELASTICSEARCH_PORT+k-1 (9200..9202), transport
# ELASTICSEARCH_TRANSPORT_PORT+k-1 (9300..9302), data .data/elasticsearch-cluster/node-k, heap
# ES_HEAP each (512m: three nodes and the rest of the stack fit in 24 GiB on 2 cores).

CLUSTER_NODES=(1 2 3)
RABBITMQ_BASE_PORT=$RABBITMQ_PORT
RABBITMQ_BASE_DIST_PORT=$RABBITMQ_DIST_PORT
RABBITMQ_CLUSTER_NODENAME="${RABBITMQ_CLUSTER_NODENAME:-sightline}"
RABBITMQ_CLUSTER_DIR="$DATA_DIR/rabbitmq-cluster"
ES_BASE_PORT=$ELASTICSEARCH_PORT
ES_BASE_TRANSPORT_PORT="${ELASTICSEARCH_TRANSPORT_PORT:-$((ELASTICSEARCH_PORT + 100))}"

cluster_mode() { [[ "${SIGHTLINE_ENGINES:-single}" == cluster ]]; }

# Every node's port from base port $1 accepts connections.
cluster_ports_accept() {
  local k
  for k in "${CLUSTER_NODES[@]}"; do port_accepts $(($1 + k - 1)) || return 1; done
}

# ---------------------------------------------------------------------------------------
# RabbitMQ

rabbitmq_cluster_nodename() { printf '%s-%s@localhost' "$RABBITMQ_CLUSTER_NODENAME" "$1"; }

# Points the RABBITMQ_* variables rabbitmq.sh works with at node $1 (call in a subshell or
# restore with rabbitmq_cluster_node 1 as needed: they are globals).
rabbitmq_cluster_node() {
  RABBITMQ_PORT=$((RABBITMQ_BASE_PORT + $1 - 1))
  RABBITMQ_DIST_PORT=$((RABBITMQ_BASE_DIST_PORT + $1 - 1))
  RABBITMQ_NODENAME="$(rabbitmq_cluster_nodename "$1")"
  RABBITMQ_HOME_DIR="$RABBITMQ_CLUSTER_DIR/node-$1"
  RABBITMQ_COOKIE_DIR="$RABBITMQ_CLUSTER_DIR"
  RABBITMQ_PID_NAME="rabbitmq-$1"
  # A minority side stops serving instead of accepting writes a partition would later discard.
  RABBITMQ_EXTRA_CONF="cluster_partition_handling = pause_minority"
}

rabbitmq_cluster_live_pid() {
  local k pid first=""
  for k in "${CLUSTER_NODES[@]}"; do
    pid="$(live_pid "rabbitmq-$k" rabbitmq-server)" || return 1
    first=${first:-$pid}
  done
  printf '%s' "$first"
}

# Ports of the nodes that are not running, in use by someone else: the start would fail on them.
rabbitmq_cluster_port_taken() {
  local k
  for k in "${CLUSTER_NODES[@]}"; do
    live_pid "rabbitmq-$k" rabbitmq-server >/dev/null && continue
    port_accepts $((RABBITMQ_BASE_PORT + k - 1)) && return 0
  done
  return 1
}

# Starts every node that is not running (all three at once: a restarted cluster node waits for
# its peers before it serves).
rabbitmq_cluster_start() {
  rabbitmq_cluster_cookie
  ( rabbitmq_cluster_node 1; rabbitmq_ensure_epmd )
  local k
  for k in "${CLUSTER_NODES[@]}"; do
    live_pid "rabbitmq-$k" rabbitmq-server >/dev/null && continue
    ( rabbitmq_cluster_node "$k"; rabbitmq_start_node )
  done
}

# The shared Erlang cookie, written before any node or CLI starts: three nodes creating it at
# once, or a CLI reading it half-written, fail (auth read_cookie: eof, and an erl_crash.dump).
rabbitmq_cluster_cookie() {
  local cookie="$RABBITMQ_CLUSTER_DIR/.erlang.cookie"
  [[ -s "$cookie" ]] && return 0
  mkdir -p "$RABBITMQ_CLUSTER_DIR"
  ( umask 077; head -c 32 /dev/urandom | sha256sum | cut -c1-40 | tr -d '\n' >"$cookie.tmp" )
  chmod 400 "$cookie.tmp"
  mv "$cookie.tmp" "$cookie"
}

rabbitmq_cluster_ready() {
  local k
  for k in "${CLUSTER_NODES[@]}"; do
    port_accepts $((RABBITMQ_BASE_PORT + k - 1)) || return 1
    ( rabbitmq_cluster_node "$k"; rabbitmq_cli rabbitmq-diagnostics -q check_running >/dev/null 2>&1 ) || return 1
  done
}

# Joins nodes 2 and 3 to node 1 where they are not members yet (first start), then sets up the
# accounts (cluster-wide: users live in the cluster's metadata).
rabbitmq_cluster_configure() {
  local k status name
  status="$(rabbitmq_cluster_node 1; rabbitmq_cli rabbitmqctl -q cluster_status --formatter json)" ||
    die "rabbitmq: cannot read the cluster status of $(rabbitmq_cluster_nodename 1)"
  for k in "${CLUSTER_NODES[@]:1}"; do
    name="$(rabbitmq_cluster_nodename "$k")"
    [[ "$status" == *"\"$name\""* ]] && continue
    log "rabbitmq: $name joins the cluster of $(rabbitmq_cluster_nodename 1)"
    # (The CLI's feature-flag warnings go to the node's log, not the terminal.)
    (
      rabbitmq_cluster_node "$k"
      rabbitmq_cli rabbitmqctl -q stop_app &&
        rabbitmq_cli rabbitmqctl -q reset &&
        rabbitmq_cli rabbitmqctl -q join_cluster "$(rabbitmq_cluster_nodename 1)" &&
        rabbitmq_cli rabbitmqctl -q start_app
    ) >>"$LOG_DIR/rabbitmq-$k.log" 2>&1 || die "rabbitmq: $name could not join the cluster (see $LOG_DIR/rabbitmq-$k.log)"
  done
  ( rabbitmq_cluster_node 1; rabbitmq_accounts )
}

rabbitmq_cluster_stop_nodes() {
  local k pids=()
  for k in "${CLUSTER_NODES[@]}"; do
    ( stop_group "rabbitmq-$k" rabbitmq-server 60 3 ) &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || true; done
}

# ---------------------------------------------------------------------------------------
# Elasticsearch

es_cluster_node() {
  ELASTICSEARCH_PORT=$((ES_BASE_PORT + $1 - 1))
  ES_HOME_REL="elasticsearch-cluster/node-$1"
  ES_PID_NAME="elasticsearch-$1"
  ES_CLUSTER_NAME=sightline-local-cluster
  ES_NODE_NAME="sightline-$1"
  local seeds="" k
  for k in "${CLUSTER_NODES[@]}"; do seeds+="${seeds:+, }\"127.0.0.1:$((ES_BASE_TRANSPORT_PORT + k - 1))\""; done
  ES_DISCOVERY_CONFIG="transport.port: $((ES_BASE_TRANSPORT_PORT + $1 - 1))
discovery.seed_hosts: [$seeds]
# Only read when the cluster forms for the first time (empty data folders).
cluster.initial_master_nodes: [\"sightline-1\", \"sightline-2\", \"sightline-3\"]"
}

elasticsearch_cluster_live_pid() {
  local k pid first=""
  for k in "${CLUSTER_NODES[@]}"; do
    pid="$(live_pid "elasticsearch-$k" elasticsearch)" || return 1
    first=${first:-$pid}
  done
  printf '%s' "$first"
}

elasticsearch_cluster_port_taken() {
  local k
  for k in "${CLUSTER_NODES[@]}"; do
    live_pid "elasticsearch-$k" elasticsearch >/dev/null && continue
    port_accepts $((ES_BASE_PORT + k - 1)) && return 0
    port_accepts $((ES_BASE_TRANSPORT_PORT + k - 1)) && return 0
  done
  return 1
}

elasticsearch_cluster_start() {
  local k
  mkdir_public "$DATA_DIR/elasticsearch-cluster"
  for k in "${CLUSTER_NODES[@]}"; do
    live_pid "elasticsearch-$k" elasticsearch >/dev/null && continue
    ( es_cluster_node "$k"; elasticsearch_start_node )
  done
}

# Every node answers and the cluster has all three (a node that formed a cluster of its own
# would answer too).
elasticsearch_cluster_ready() {
  local k
  for k in "${CLUSTER_NODES[@]}"; do
    curl -fs -o /dev/null --max-time 3 \
      "http://127.0.0.1:$((ES_BASE_PORT + k - 1))/_cluster/health?wait_for_status=yellow&wait_for_nodes=${#CLUSTER_NODES[@]}&timeout=1s" || return 1
  done
}

elasticsearch_cluster_stop_nodes() {
  local k pids=()
  for k in "${CLUSTER_NODES[@]}"; do
    ( stop_group "elasticsearch-$k" elasticsearch 60 ) &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || true; done
}

# ---------------------------------------------------------------------------------------
# Cluster mode: the engine names stay `rabbitmq` and `elasticsearch`; their functions change.

if cluster_mode; then
  rabbitmq_start() { rabbitmq_cluster_start; }
  rabbitmq_ready() { rabbitmq_cluster_ready; }
  rabbitmq_configure() { rabbitmq_cluster_configure; }
  rabbitmq_live_pid() { rabbitmq_cluster_live_pid; }
  rabbitmq_port_taken() { rabbitmq_cluster_port_taken; }
  rabbitmq_answers() { cluster_ports_accept "$RABBITMQ_BASE_PORT"; }
  rabbitmq_port() { echo "$RABBITMQ_BASE_PORT-$((RABBITMQ_BASE_PORT + ${#CLUSTER_NODES[@]} - 1))"; }
  elasticsearch_start() { elasticsearch_cluster_start; }
  elasticsearch_ready() { elasticsearch_cluster_ready; }
  elasticsearch_live_pid() { elasticsearch_cluster_live_pid; }
  elasticsearch_port_taken() { elasticsearch_cluster_port_taken; }
  elasticsearch_answers() { cluster_ports_accept "$ES_BASE_PORT"; }
  elasticsearch_port() { echo "$ES_BASE_PORT-$((ES_BASE_PORT + ${#CLUSTER_NODES[@]} - 1))"; }
fi
