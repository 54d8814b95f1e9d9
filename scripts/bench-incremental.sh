#!/usr/bin/env bash
# One new day into a warehouse that holds the days before it: generates DAYS days of events,
# runs `sparkify run` on the first DAYS-1 days, then times `sparkify run` of the last day (only
# that file is new), on the embedded DuckDB and on a throwaway PostgreSQL (loopback only). The
# star schema after the new day is compared, table by table (row counts and songplays' distinct
# plays), with one load of all DAYS days.
#
#   scripts/bench-incremental.sh            sparkify from the release build
#   SPARKIFY=/path/to/sparkify scripts/bench-incremental.sh    another binary (e.g. an older one)
#
# Environment: BENCH_DAYS (40), BENCH_EVENTS_PER_DAY (25000), BENCH_SONGS (15000),
# BENCH_USERS (5000), BENCH_DIR (a temp folder; kept when given, and the data reused).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench/pg.sh
. "$ROOT/scripts/bench/pg.sh"
SPARKIFY=${SPARKIFY:-${CARGO_TARGET_DIR:-$HOME/.cache/sparkify-target}/release/sparkify}
DAYS=${BENCH_DAYS:-40}
PER_DAY=${BENCH_EVENTS_PER_DAY:-25000}
SONGS=${BENCH_SONGS:-15000}
USERS=${BENCH_USERS:-5000}
if [ -n "${BENCH_DIR:-}" ]; then
  WORK=$BENCH_DIR
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d /tmp/sparkify-bench-incremental.XXXXXX)
fi
trap 'pg_stop' EXIT

data="$WORK/data"
if [ ! -f "$data/log_json_path.json" ]; then
  "$SPARKIFY" generate -q --out "$data" --songs "$SONGS" --users "$USERS" --days "$DAYS" \
    --events-per-day "$PER_DAY" --seed 42 --match-rate 0.6
fi
# The first DAYS-1 day files, and all of them, as two folders of links (the load ledger keys
# a file by its canonical path, so the second run skips the days the first loaded).
rm -rf "$WORK/before" "$WORK/all"
mkdir -p "$WORK/before" "$WORK/all"
mapfile -t days < <(find "$data/log_data" -name '*.json' | sort)
for f in "${days[@]}"; do ln -s "$f" "$WORK/all/"; done
for f in "${days[@]:0:$((${#days[@]} - 1))}"; do ln -s "$f" "$WORK/before/"; done
songs=(--songs "$data/song_data" --jsonpaths "$data/log_json_path.json")

# Seconds of one command, wall clock.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; return 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

counts() {
  "$SPARKIFY" query --warehouse "$1" --format csv \
    "SELECT (SELECT COUNT(*) FROM songplays), (SELECT COUNT(*) FROM users), \
            (SELECT COUNT(*) FROM songs), (SELECT COUNT(*) FROM artists), \
            (SELECT COUNT(*) FROM time), \
            (SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL), \
            (SELECT COUNT(DISTINCT songplay_id) FROM songplays)" | tail -1
}

echo "sparkify: $SPARKIFY ($("$SPARKIFY" --version 2>/dev/null || echo unknown))"
echo "data: $DAYS days x $PER_DAY events, $SONGS songs, $USERS users, in $data"
pg_start
for engine in duckdb postgres; do
  if [ "$engine" = duckdb ]; then
    rm -f "$WORK"/*.duckdb "$WORK"/*.duckdb.wal
    wh="duckdb:$WORK/days.duckdb"
    full="duckdb:$WORK/full.duckdb"
  else
    pg_fresh_db days >/dev/null 2>&1
    pg_fresh_db full >/dev/null 2>&1
    wh="$PG_URL/days?sslmode=disable"
    full="$PG_URL/full?sslmode=disable"
  fi
  first=$(seconds "$SPARKIFY" run -q --warehouse "$wh" --events "$WORK/before" "${songs[@]}")
  day=$(seconds "$SPARKIFY" run -q --warehouse "$wh" --events "$WORK/all" "${songs[@]}")
  whole=$(seconds "$SPARKIFY" run -q --warehouse "$full" --events "$WORK/all" "${songs[@]}")
  got=$(counts "$wh")
  want=$(counts "$full")
  same=$([ "$got" = "$want" ] && echo "equal" || echo "DIFFERENT: $got vs $want")
  echo "$engine: first $((DAYS - 1)) days ${first} s; the new day ${day} s; one load of all $DAYS days ${whole} s; counts after the new day $same ($got)"
done
