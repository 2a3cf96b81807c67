# shellcheck shell=bash
# Elasticsearch: the minimal integ-test zip from Maven Central (no bundled JDK), run as the
# system user `sightline` when we are root (it refuses to run as root).

ELASTICSEARCH_PORT="${ELASTICSEARCH_PORT:-9200}"
ELASTICSEARCH_START_TIMEOUT="${ELASTICSEARCH_START_TIMEOUT:-180}"
ES_HEAP="${ES_HEAP:-512m}"
ES_USER=sightline
ES_HOME_DIR="$DATA_DIR/elasticsearch"
# The node the functions below handle: its folder under .data, pid/log name, names and discovery
# (cluster.sh runs three nodes by setting these).
ES_HOME_REL=elasticsearch
ES_PID_NAME=elasticsearch
ES_CLUSTER_NAME=sightline-local
ES_NODE_NAME=sightline-local
ES_DISCOVERY_CONFIG="discovery.type: single-node"
ES_MAVEN_ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch

elasticsearch_apt_packages() { :; }
elasticsearch_port() { echo "$ELASTICSEARCH_PORT"; }
elasticsearch_pattern() { echo elasticsearch; }
elasticsearch_timeout() { echo "$ELASTICSEARCH_START_TIMEOUT"; }

# Major version of a JDK from its `release` file (no JVM start: keeps install/start fast).
java_major() {
  local v
  v="$(sed -n 's/^JAVA_VERSION="\([^"]*\)"/\1/p' "$1/release" 2>/dev/null)"
  v="${v#1.}"                     # 1.8.0 -> 8.0
  printf '%s' "${v%%[.+-]*}"
}

# Picks the JDK and the ES version that runs on it (sets ES_JAVA, ES_VERSION, ES_DIST).
# ES 9 needs Java 21+ and ignores JAVA_HOME (only ES_JAVA_HOME counts). Where no such JDK is
# installed, ES 8.19.0 runs on Debian's JDK 17 (then use an 8.x client).
elasticsearch_select() {
  local candidate major
  ES_JAVA="${ES_JAVA_HOME:-}"
  if [[ -z "$ES_JAVA" ]]; then
    for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
      major="$(java_major "$candidate")"
      if [[ -x "$candidate/bin/java" && "${major:-0}" -ge 21 ]]; then ES_JAVA=$candidate; break; fi
    done
  fi
  if [[ -z "$ES_JAVA" && -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
    ES_JAVA=/usr/lib/jvm/java-17-openjdk-amd64
  fi
  [[ -n "$ES_JAVA" && -x "$ES_JAVA/bin/java" ]] || die "elasticsearch: no JDK found (set ES_JAVA_HOME)"
  major="$(java_major "$ES_JAVA")"
  if [[ -n "${ELASTICSEARCH_VERSION:-}" ]]; then ES_VERSION=$ELASTICSEARCH_VERSION
  elif [[ "${major:-0}" -ge 21 ]]; then ES_VERSION=9.2.4
  else
    ES_VERSION=8.19.0
    warn "elasticsearch: no JDK 21+ found; falling back to ES $ES_VERSION on $ES_JAVA (use an 8.x client)"
  fi
  ES_DIST="$SIGHTLINE_CACHE/elasticsearch-$ES_VERSION"
}

elasticsearch_install_first() { elasticsearch_ensure_user; }

elasticsearch_ensure_user() {
  is_root || return 0
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  log "elasticsearch: creating system user $ES_USER"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$ES_USER"
}

elasticsearch_install() {
  elasticsearch_select
  elasticsearch_ensure_user
  [[ -x "$ES_DIST/bin/elasticsearch" ]] && return 0
  command -v mvn >/dev/null || die "elasticsearch: mvn not found (apt-get install maven)"
  local repo="$SIGHTLINE_CACHE/m2" zip tmp out
  log "elasticsearch: downloading $ES_MAVEN_ARTIFACT:$ES_VERSION:zip from Maven Central"
  # Maven prints its errors (and stray colour codes) on stdout: show them only on failure.
  if ! out="$(mvn -q -B dependency:get -Dmaven.repo.local="$repo" \
    -Dartifact="$ES_MAVEN_ARTIFACT:$ES_VERSION:zip" -Dtransitive=false 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "elasticsearch: maven download failed"
  fi
  zip="$repo/${ES_MAVEN_ARTIFACT//[.:]//}/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  [[ -f "$zip" ]] || die "elasticsearch: $zip not found after download"
  tmp="$ES_DIST.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  unzip -q "$zip" -d "$tmp"
  [[ -x "$tmp/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] || die "elasticsearch: unexpected zip layout"
  # Readable by the `sightline` user, writable by nobody else: the cache stays read-only
  # (config is copied into .data at start).
  chmod -R go-w,a+rX "$tmp"
  rm -rf "$ES_DIST"
  mv "$tmp/elasticsearch-$ES_VERSION" "$ES_DIST"
  rm -rf "$tmp"
  log "elasticsearch: installed $ES_DIST"
}

# Command prefix that runs as the ES user when root (setpriv execs in place, so the pid we
# record is the engine itself), with a clean environment.
elasticsearch_runas() {
  if is_root; then
    ES_RUNAS=(setpriv --reuid="$ES_USER" --regid="$ES_USER" --init-groups env -i)
  else
    ES_RUNAS=(env -i)
  fi
}

# ES state normally lives in .data/elasticsearch. A clone whose parents the `sightline` user
# cannot search (e.g. under /root, mode 700) gets it in /var/lib/sightline/<hash of the
# path>/elasticsearch instead, linked from .data/elasticsearch.
elasticsearch_home_dir() {
  ES_HOME_DIR="$DATA_DIR/$ES_HOME_REL"
  is_root || return 0
  elasticsearch_runas
  "${ES_RUNAS[@]}" test -x "$DATA_DIR" && return 0
  local alt
  alt="/var/lib/sightline/$(printf '%s' "$DATA_DIR" | sha1sum | cut -c1-12)/$ES_HOME_REL"
  mkdir_public /var/lib/sightline "$(dirname "$alt")" "$alt"
  if [[ ! -e "$ES_HOME_DIR" || -L "$ES_HOME_DIR" ]]; then ln -sfn "$alt" "$ES_HOME_DIR"; fi
  log "elasticsearch: user $ES_USER cannot reach $DATA_DIR: ES data in $alt"
  ES_HOME_DIR=$alt
}

elasticsearch_prepare() {
  elasticsearch_home_dir
  local d=$ES_HOME_DIR
  mkdir_public "$d" "$d/data" "$d/logs" "$d/tmp"
  # Config dir copied once per ES version: ES writes its keystore there.
  if [[ "$(cat "$d/config/.sightline-version" 2>/dev/null)" != "$ES_VERSION" ]]; then
    rm -rf "$d/config"
    cp -r "$ES_DIST/config" "$d/config"
    echo "$ES_VERSION" >"$d/config/.sightline-version"
  fi
  cat >"$d/config/elasticsearch.yml" <<EOF
# Generated by scripts/engines/elasticsearch.sh at each start: edits are overwritten.
cluster.name: $ES_CLUSTER_NAME
node.name: $ES_NODE_NAME
$ES_DISCOVERY_CONFIG
network.host: 127.0.0.1
http.port: $ELASTICSEARCH_PORT
path.data: $d/data
path.logs: $d/logs
xpack.security.enabled: false
# A full-ish disk must not turn indices read-only on a developer machine.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
  if is_root; then
    chown "$ES_USER:$ES_USER" "$d" "$d/data" "$d/logs" "$d/tmp"
    chown -R "$ES_USER:$ES_USER" "$d/config"
    # Fail with a clear message rather than an ES stack trace.
    "${ES_RUNAS[@]}" test -w "$d/data" || die "elasticsearch: user $ES_USER cannot write $d/data"
  fi
}

elasticsearch_start() { elasticsearch_start_node; }

# Starts the node the ELASTICSEARCH_PORT and ES_* variables describe.
elasticsearch_start_node() {
  elasticsearch_select
  [[ -x "$ES_DIST/bin/elasticsearch" ]] || die "elasticsearch: ES $ES_VERSION not installed (run: engines.sh install elasticsearch)"
  elasticsearch_prepare
  local d=$ES_HOME_DIR pid
  elasticsearch_runas
  spawn "$ES_PID_NAME" "$ES_PID_NAME" "${ES_RUNAS[@]}" \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$d" \
    ES_JAVA_HOME="$ES_JAVA" ES_PATH_CONF="$d/config" ES_TMPDIR="$d/tmp" \
    ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    "$ES_DIST/bin/elasticsearch"
  pid="$(<"$(pid_file "$ES_PID_NAME")")"
  log "elasticsearch: started pid $pid (ES $ES_VERSION, http://127.0.0.1:$ELASTICSEARCH_PORT, heap $ES_HEAP)"
}

# `GET /` answers 405 on this minimal build: cluster health is the readiness probe.
elasticsearch_ready() {
  curl -fs -o /dev/null --max-time 3 \
    "http://127.0.0.1:$ELASTICSEARCH_PORT/_cluster/health?wait_for_status=yellow&timeout=1s"
}

elasticsearch_stop() {
  stop_group elasticsearch "$(elasticsearch_pattern)" 60
  # `npm stop` stops whichever layout runs: the cluster's nodes too (cluster.sh).
  elasticsearch_cluster_stop_nodes
}
