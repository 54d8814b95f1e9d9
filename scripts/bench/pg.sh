# shellcheck shell=bash
# A throwaway PostgreSQL server for benchmarks, the same way scripts/bench-pg-staging.sh starts
# one: initdb in a temp folder (owned by postgres when run as root), trust auth, listening only
# on 127.0.0.1 on a free port, socket in the temp folder. Source this file, then:
#   pg_start          sets PG_BIN, PG_DIR, PG_PORT, PG_VERSION; PG_URL (no database)
#   pg_fresh_db NAME  drops and creates database NAME
#   pg_warm           fills the server's WAL once (see below); pg_start calls it
#   pg_stop           stops the server and removes the folder (safe to call twice)
# The caller installs the trap, e.g. `trap pg_stop EXIT`.

# shellcheck disable=SC2034  # PG_VERSION and PG_URL are for the script that sources this file
PG_BIN=""
PG_DIR=""
PG_PORT=""
PG_VERSION=""
PG_URL=""
PG_AS=()

pg_start() {
  PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/sparkify-bench-pg.XXXXXX)
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null
  # shellcheck disable=SC2034
  PG_VERSION=$("$PG_BIN/postgres" --version | awk '{ print $3 }')
  # shellcheck disable=SC2034
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
  pg_warm
}

# A new server has almost no WAL segment files: until its WAL reaches max_wal_size, every
# 16 MB of WAL written creates and zero-fills a new file, and after that the files are
# recycled. So the first load into a new server pays for that and the next does not, which
# made the row timed first (sparkify -> PostgreSQL) pay for the baseline after it: staging 10M
# events took 38.6 s on a new server and 22.6 s on one that had loaded before (BENCHMARKS.md
# 2026-12-03, before midnight). Writing a little more WAL than max_wal_size once, before any
# row is timed, gives every row the same server.
pg_warm() {
  pg_psql -c "CREATE TABLE bench_warm_wal AS SELECT g AS id, repeat('x', 100) AS pad
                FROM generate_series(1, (SELECT CAST(setting AS BIGINT) * 1024 * 1024 / 100
                                           FROM pg_settings WHERE name = 'max_wal_size')) g" \
    -c "DROP TABLE bench_warm_wal" -c "CHECKPOINT" >/dev/null
}

pg_psql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_fresh_db() {
  pg_psql -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\""
}

pg_stop() {
  if [ -n "$PG_DIR" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
