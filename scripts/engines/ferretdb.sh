# shellcheck shell=bash
# FerretDB (MongoDB wire protocol) on its SQLite backend, built from Go module source.

FERRETDB_VERSION=1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
FERRETDB_START_TIMEOUT="${FERRETDB_START_TIMEOUT:-30}"
FERRETDB_SYNCHRONOUS="${FERRETDB_SYNCHRONOUS:-normal}"
# The build carries one patch (see ferretdb_patch_id_index); its name keeps an unpatched cached build out.
FERRETDB_BUILD="$FERRETDB_VERSION-id-index"
FERRETDB_BIN="$SIGHTLINE_CACHE/ferretdb-$FERRETDB_BUILD/ferretdb"
FERRETDB_HOME_DIR="$DATA_DIR/ferretdb"

ferretdb_apt_packages() { :; }
ferretdb_port() { echo "$FERRETDB_PORT"; }
ferretdb_pattern() { echo ferretdb; }
ferretdb_timeout() { echo "$FERRETDB_START_TIMEOUT"; }

ferretdb_installed() {
  # No `| grep -q` here: with pipefail, grep exiting first makes ferretdb die of SIGPIPE.
  [[ -x "$FERRETDB_BIN" ]] && [[ "$("$FERRETDB_BIN" --version 2>/dev/null)" == *"v$FERRETDB_VERSION"* ]]
}

# `go install ...@v1.24.2` gives a binary that panics at start ("Invalid
# build/version/version.txt"): the module zip lacks that file. So build from a writable copy
# of the module source with the version written in.
ferretdb_install() {
  if ferretdb_installed; then return 0; fi
  command -v go >/dev/null || die "ferretdb: Go toolchain not found (needs go >= 1.22 on PATH)"
  local go_cache="$SIGHTLINE_CACHE/go" src dir tmp
  # Go caches under the sightline cache; -modcacherw so the cache can be deleted with rm -rf;
  # GOTOOLCHAIN=local: build with the installed Go instead of fetching another toolchain.
  local -x GOMODCACHE="$go_cache/mod" GOCACHE="$go_cache/build" GOFLAGS=-modcacherw GOTOOLCHAIN=local
  mkdir -p "$GOMODCACHE" "$GOCACHE"
  log "ferretdb: downloading module source $FERRETDB_MODULE@v$FERRETDB_VERSION"
  dir="$(go mod download -json "$FERRETDB_MODULE@v$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "ferretdb: go mod download gave no source directory"

  src="$SIGHTLINE_CACHE/src/ferretdb-$FERRETDB_BUILD"
  rm -rf "$src" && mkdir -p "$(dirname "$src")"
  cp -r "$dir" "$src" && chmod -R u+w "$src"
  printf 'v%s\n' "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  ferretdb_patch_id_index "$src"

  log "ferretdb: building (about 2 min cold on 2 cores)"
  tmp="$(dirname "$FERRETDB_BIN").tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$src" && go build -o "$tmp/ferretdb" ./cmd/ferretdb)
  [[ "$("$tmp/ferretdb" --version)" == *"v$FERRETDB_VERSION"* ]] || die "ferretdb: built binary reports a wrong version"
  # Atomic publish: a half-built folder is never taken for an installed one.
  rm -rf "$(dirname "$FERRETDB_BIN")"
  mv "$tmp" "$(dirname "$FERRETDB_BIN")"
  chmod -R a+rX "$(dirname "$FERRETDB_BIN")"
  log "ferretdb: installed $FERRETDB_BIN"
}

# FerretDB 1.24's SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but filters
# `_id` with `_ferretdb_sjson->'$._id'`: the same value, but SQLite matches index expressions by
# their text, so every `_id` lookup SCANs the table (4 ms early in a table of 100k, seconds for a miss
# at 1M). The patch makes the filter use the index's own expression; nothing else changes (same
# values, same indexes, existing data files keep working). Checked with EXPLAIN QUERY PLAN: SCAN
# becomes SEARCH ... USING INDEX. Real MongoDB always uses its `_id` index.
ferretdb_patch_id_index() {
  local file="$1/internal/backends/sqlite/metadata/metadata.go"
  sed -i "s|IDColumn = DefaultColumn + \"->'\\\$._id'\"|IDColumn = DefaultColumn + \"->\\\\\"_id\\\\\"\"|" "$file"
  grep -qF 'IDColumn = DefaultColumn + "->\"_id\""' "$file" || die "ferretdb: the _id index patch did not apply to $file"
}

ferretdb_start() {
  ferretdb_installed || die "ferretdb: not installed (run: engines.sh install ferretdb)"
  local d=$FERRETDB_HOME_DIR pid
  mkdir -p "$d/data" "$d/state"
  # --debug-addr: its metrics/pprof listener defaults to 127.0.0.1:8088, a port other tools
  # use; "-" turns it off. --state-dir: else it writes state.json into the cwd.
  # synchronous(normal): FerretDB runs SQLite in WAL mode with SQLite's default synchronous=FULL,
  # an fsync per write transaction. WAL + NORMAL syncs only at checkpoints: still crash-safe for
  # the database (never corrupt), but an OS crash or power loss may lose the last commits, like
  # MongoDB's w:1 without j:true (journal flushed every 100 ms). Measured here: single writes
  # 8-45 % cheaper (bench/write/README.md). Set FERRETDB_SYNCHRONOUS=full to get the fsyncs back.
  spawn ferretdb ferretdb "$FERRETDB_BIN" \
    --handler=sqlite --sqlite-url="file:$d/data/?_pragma=synchronous($FERRETDB_SYNCHRONOUS)" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" \
    --state-dir="$d/state" \
    --debug-addr=- \
    --telemetry=disable \
    --log-level=info
  pid="$(<"$(pid_file ferretdb)")"
  log "ferretdb: started pid $pid (mongodb://127.0.0.1:$FERRETDB_PORT/)"
}

# TCP accept while the process lives (it only listens once its backend is open).
ferretdb_ready() { port_accepts "$FERRETDB_PORT"; }

ferretdb_stop() { stop_group ferretdb "$(ferretdb_pattern)" 20; }
