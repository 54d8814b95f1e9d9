#!/usr/bin/env bash
# Benchmark `sparkify run` against the tools a user would pick instead, on generated
# Sparkify-shaped data. What each row measures and how to read it: BENCHMARKS.md.
#
# Usage: scripts/bench.sh [small|medium|large|all]      (default all)
#
#   small   ≈ 10k events,  1,000 songs   (seconds)
#   medium  ≈ 1M events,  15,000 songs   (the pandas row alone likely takes most of an hour)
#   large   ≈ 10M events, 15,000 songs   (about 4.7 GB of JSON; no pandas row)
#
# Environment:
#   BENCH_DIR       data, logs, venv and results   [default: ~/.cache/sparkify-bench]
#   BENCH_REPEAT    runs per measurement, the fastest is reported   [default: 1]
#   BENCH_TIMEOUT   seconds before a measurement is stopped, 0 = never   [default: 7200]
#   SPARKIFY        the sparkify binary   [default: $CARGO_TARGET_DIR/release/sparkify]
#   BENCH_PARSE     the bare-parse binary [default: $CARGO_TARGET_DIR/release/examples/bench_parse]
#   BENCH_SKIP_PANDAS  set to skip the pandas row (it takes ~25 min at medium)
#   BENCH_SKIP_NEWDAY  set to skip the rows "one new day into the warehouse" (each loads the
#                      data minus its last day first, untimed: a second full run per engine)
#   BENCH_SKIP_GZIP    set to skip row 8, the same data gzip-compressed (generated once more, with
#                      --compress gzip, and loaded into DuckDB)
#   BENCH_BASELINE  an older sparkify binary: its run into PostgreSQL is timed too (row 4b), for
#                   the target "2x faster than today's PostgreSQL run" measured in the same session
#   BENCH_PAIRS     after the rows, N more runs of each two-sided target (the DuckDB peer and row
#                   1; with BENCH_BASELINE, row 4b and row 4) as interleaved pairs, the order
#                   alternating, each pair's ratio and their median reported   [default: 0]
#
# Builds nothing: build first with `cargo build --release --examples`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sparkify-target}"
BENCH_DIR="${BENCH_DIR:-$HOME/.cache/sparkify-bench}"
BENCH_REPEAT="${BENCH_REPEAT:-1}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-7200}"
SPARKIFY="${SPARKIFY:-$CARGO_TARGET_DIR/release/sparkify}"
BENCH_PARSE="${BENCH_PARSE:-$CARGO_TARGET_DIR/release/examples/bench_parse}"
BENCH_BASELINE="${BENCH_BASELINE:-}"
BENCH_PAIRS="${BENCH_PAIRS:-0}"
VENV="$BENCH_DIR/venv"
PY="$VENV/bin/python"
# shellcheck source=scripts/bench/pg.sh
. "$ROOT/scripts/bench/pg.sh"

usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# --- sizes: songs users days events-per-day pandas-row ------------------------------------------
size_params() {
  case "$1" in
    small) echo "1000 200 10 1000 yes" ;;
    medium) echo "15000 5000 40 25000 yes" ;;
    large) echo "15000 50000 100 100000 no" ;;
    *) return 1 ;;
  esac
}

case "${1:-all}" in
  all) SIZES=(small medium large) ;;
  small | medium | large) SIZES=("$1") ;;
  -h | --help) usage ;;
  *) echo "unknown size '$1'" >&2; usage ;;
esac
[ $# -le 1 ] || usage
[[ "$BENCH_REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_REPEAT must be a positive integer" >&2; exit 2; }
[[ "$BENCH_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "BENCH_TIMEOUT must be a number of seconds" >&2; exit 2; }
[[ "$BENCH_PAIRS" =~ ^[0-9]+$ ]] || { echo "BENCH_PAIRS must be a number of pairs (0 = none)" >&2; exit 2; }
if [ ! -x "$SPARKIFY" ]; then
  echo "sparkify binary not found at $SPARKIFY: build it with 'cargo build --release --examples'" >&2
  exit 1
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }
mkdir -p "$BENCH_DIR"

cleanup() { pg_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- small helpers -------------------------------------------------------------------------------
# awk arithmetic and formatting; every figure goes through these so they read the same.
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
# AMOUNT / SECONDS with DECIMALS, or "—" when the time is too small to divide by.
rate() { awk -v a="$1" -v s="$2" -v d="${3:-0}" 'BEGIN { if (s + 0 < 0.005) printf "—"; else printf "%.*f", d, a / s }'; }
# The same as a whole number with thousands separators.
rate_int() {
  local r
  r=$(rate "$1" "$2")
  if [ "$r" = "—" ]; then printf '—'; else fmt_int "$r"; fi
}
# Integer with thousands separators.
fmt_int() {
  awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = "";
    while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
    printf "%s%s", s, o }'
}
# "R×" = a / b with two decimals, or "—" when either is missing or zero.
ratio() {
  if [ -z "$1" ] || [ -z "$2" ]; then printf '—'; return; fi
  awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0 || b + 0 == 0) printf "—"; else printf "%.2f×", a / b }'
}
# Seconds from a sparkify summary duration: "0.14 s" or "2 min 5 s" (fields from $2 on).
summary_seconds() { # FILE PATTERN: the time on the first line starting with PATTERN
  awk -v p="$2" 'index($0, p) == 1 {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) == "min") { print $i * 60 + $(i + 2); exit }
        if ($(i + 1) == "s") { print $i; exit }
      }
    }' "$1"
}

# --- one-time setup: the pinned DuckDB version and the Python venv -------------------------------
setup_python() {
  local probe="$BENCH_DIR/duckdb-version.duckdb"
  rm -f "$probe" "$probe.wal"
  DUCKDB_VERSION=$("$SPARKIFY" -q query --warehouse "duckdb:$probe" --format csv \
    "SELECT version() AS v" | tail -1 | sed 's/^v//')
  rm -f "$probe" "$probe.wal"
  [[ "$DUCKDB_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || {
    echo "could not read sparkify's DuckDB version (got '$DUCKDB_VERSION')" >&2
    exit 1
  }
  if [ ! -x "$PY" ]; then
    echo "== creating the Python venv $VENV"
    python3 -m venv "$VENV"
  fi
  local have
  have=$("$PY" -c 'import duckdb, pandas, psycopg2; print(duckdb.__version__)' 2>/dev/null || true)
  if [ "$have" != "$DUCKDB_VERSION" ]; then
    echo "== installing duckdb==$DUCKDB_VERSION (sparkify's embedded DuckDB), pandas, psycopg2-binary"
    "$PY" -m pip install -q --disable-pip-version-check \
      "duckdb==$DUCKDB_VERSION" pandas psycopg2-binary
  fi
  PY_VERSION=$("$PY" -c 'import platform; print(platform.python_version())')
  PANDAS_VERSION=$("$PY" -c 'import pandas; print(pandas.__version__)')
  PSYCOPG2_VERSION=$("$PY" -c 'import psycopg2; print(psycopg2.__version__.split()[0])')
}

ensure_pg() {
  if [ -z "$PG_DIR" ]; then
    echo "== starting a throwaway PostgreSQL on 127.0.0.1"
    pg_start
    echo "   PostgreSQL $PG_VERSION on port $PG_PORT, data in $PG_DIR"
  fi
}

machine_header() {
  local cpu mem disk rota dev
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  disk=$(df -h "$BENCH_DIR" | awk 'NR == 2 { print $1 " (" $2 " total, " $4 " free)" }')
  dev=$(basename "$(df "$BENCH_DIR" | awk 'NR == 2 { print $1 }')")
  rota=$(cat "/sys/block/$dev/queue/rotational" 2>/dev/null || echo "?")
  echo "| machine | |"
  echo "| --- | --- |"
  echo "| CPU | $(nproc) threads, ${cpu:-unknown} |"
  echo "| RAM | $mem |"
  echo "| disk | $disk, rotational flag $rota |"
  echo "| OS | $(uname -sr) |"
  echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo "| sparkify | $("$SPARKIFY" --version | awk '{ print $2 }'), commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown) ($SPARKIFY) |"
  echo "| DuckDB | $DUCKDB_VERSION (embedded in sparkify; Python duckdb pinned to the same) |"
  echo "| PostgreSQL | ${PG_VERSION:-not started} |"
  echo "| Python | $PY_VERSION, pandas $PANDAS_VERSION, psycopg2 $PSYCOPG2_VERSION |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
}

# --- timing --------------------------------------------------------------------------------------
# timed ID LOG SETUP CMD...: runs SETUP then CMD BENCH_REPEAT times under /usr/bin/time, keeps the
# fastest run (its log becomes LOG); sets WALL[ID], RSS_KB[ID], RC[ID].
declare -A WALL RSS_KB RC NOTE COUNTS
timed() {
  local id=$1 log=$2 setup=$3
  shift 3
  local tf="$log.time" rep rc w m tmo=()
  if [ "$BENCH_TIMEOUT" -gt 0 ]; then
    # --foreground: stay in the terminal's process group so that Ctrl-C still reaches the command.
    tmo=(timeout --foreground --signal=INT --kill-after=60 "$BENCH_TIMEOUT")
  fi
  WALL[$id]=""
  RSS_KB[$id]=""
  RC[$id]=""
  for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
    "$setup"
    rc=0
    /usr/bin/time -f '%e %M' -o "$tf" "${tmo[@]}" "$@" >"$log.run" 2>&1 </dev/null || rc=$?
    w=""
    m=""
    [ -f "$tf" ] && read -r w m < <(tail -1 "$tf")
    [[ "$w" =~ ^[0-9.]+$ ]] || { [ "$rc" != 0 ] || rc=1; }
    if [ "$rc" = 0 ] && { [ -z "${WALL[$id]}" ] || awk -v a="$w" -v b="${WALL[$id]}" 'BEGIN { exit !(a < b) }'; }; then
      WALL[$id]=$w
      RSS_KB[$id]=$m
      RC[$id]=0
      mv "$log.run" "$log"
    elif [ "$rc" != 0 ]; then
      RC[$id]=$rc
      mv "$log.run" "$log"
      break
    fi
  done
  rm -f "$tf" "$log.run"
  if [ "${RC[$id]}" != 0 ]; then
    if [ "${RC[$id]}" = 124 ]; then
      NOTE[$id]="timed out after $BENCH_TIMEOUT s"
    else
      NOTE[$id]="FAILED (exit ${RC[$id]}, see $log)"
    fi
    WALL[$id]=""
    echo "   $id: ${NOTE[$id]}" >&2
    tail -5 "$log" | sed 's/^/     /' >&2
  fi
}

# Prints "label  W s = R× sparkify" right after a measurement.
say() {
  local id=$1 label=$2
  if [ -n "${WALL[$id]:-}" ]; then
    printf '   %-36s %9s s  = %s sparkify  (peak RSS %s MB)\n' "$label" "$(fmt2 "${WALL[$id]}")" \
      "$(ratio "${WALL[$id]}" "${WALL[sk_duck]:-}")" "$(fmt_int "$(calc "${RSS_KB[$id]} * 1024 / 1e6")")"
  else
    printf '   %-36s %s\n' "$label" "${NOTE[$id]:-not run}"
  fi
}

# "songplays users songs artists time matched" counts of a sparkify warehouse (matched: song
# plays with a song_id).
warehouse_counts() {
  "$SPARKIFY" -q query --warehouse "$1" --format csv "SELECT
      (SELECT COUNT(*) FROM songplays), (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM songs),
      (SELECT COUNT(*) FROM artists), (SELECT COUNT(*) FROM time),
      (SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL)" | tail -1 | tr ',' ' '
}
# The same six counts from a peer's "COUNTS k=v ..." line.
peer_counts() {
  awk '/^COUNTS / { for (i = 2; i <= NF; i++) { split($i, kv, "="); c[kv[1]] = kv[2] }
         print c["songplays"], c["users"], c["songs"], c["artists"], c["time"], c["matched"] }' "$1"
}
TABLES=(songplays users songs artists time)
declare -A NAME=([sk_duck]="sparkify → DuckDB" [sk_gzip]="sparkify → DuckDB from .json.gz" [peer_duck]="the DuckDB read_json peer" [sk_pg]="sparkify → PostgreSQL" [pandas]="pandas + psycopg2" [base_pg]="the baseline sparkify → PostgreSQL" [newday_duck]="one new day → DuckDB" [newday_pg]="one new day → PostgreSQL")
# "songplays 8,296, users 181, ..." from a COUNTS entry.
counts_text() {
  local c i out=""
  read -r -a c <<<"${COUNTS[$1]:-}"
  [ ${#c[@]} -ge 5 ] || { echo "counts unavailable"; return; }
  for i in 0 1 2 3 4; do out="$out, ${TABLES[$i]} $(fmt_int "${c[$i]}")"; done
  echo "${out#, }"
}
# compare ID REFERENCE-ID: names the tables whose counts differ, or "" when all agree.
compare_counts() {
  local a b i out=""
  read -r -a a <<<"${COUNTS[$1]:-}"
  read -r -a b <<<"${COUNTS[$2]:-}"
  [ ${#a[@]} -ge 5 ] && [ ${#b[@]} -ge 5 ] || { echo "counts unavailable"; return; }
  for i in 0 1 2 3 4; do
    if [ "${a[$i]}" != "${b[$i]}" ]; then out="$out; ${TABLES[$i]} $(fmt_int "${a[$i]}") vs $(fmt_int "${b[$i]}")"; fi
  done
  echo "${out#; }"
}

# newday_note LOG FULL-ID ID: "staging S s, transforms T s; P % of the full run's time".
newday_note() {
  local st tr
  st=$(calc "$(summary_seconds "$1" "stage staging_events") + $(summary_seconds "$1" "stage staging_songs")")
  tr=$(summary_seconds "$1" "transform time")
  printf 'staging %s s, transforms %s s; %s of the full run (row %s)' "$(fmt2 "$st")" "$(fmt2 "${tr:-0}")" \
    "$(pct "${WALL[$3]:-}" "${WALL[$2]:-}")" "$([ "$2" = sk_duck ] && echo 1 || echo 4)"
}
# "P %" = 100 a / b, or "—".
pct() {
  if [ -z "$1" ] || [ -z "$2" ]; then printf '—'; return; fi
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) printf "—"; else printf "%.1f %%", 100 * a / b }'
}

# median R...: the median of the numbers given, two decimals, or "—" for none.
median() {
  [ $# -gt 0 ] || { printf '—'; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

# pairs KIND REF-ID PEER-LABEL PEER-LOG PEER-SETUP PEER-COUNTS PEER-CMD... --
#       SK-LABEL SK-LOG SK-SETUP SK-COUNTS SK-CMD...: BENCH_PAIRS interleaved pairs of single
# runs, the peer first in odd pairs and sparkify first in even ones, so that the machine's speed
# drifting during a pair (it does: the same run took 23 s and 35 s within an hour) favours
# neither side. After each run, COUNTS LOG prints its table counts, which must equal REF-ID's (a
# row already checked): a run that failed or built other tables leaves its pair out, marked.
# Appends "| i | peer s | sparkify s | ratio |" rows to PAIR_ROWS[KIND] and the ratios to
# PAIR_RATIOS[KIND].
declare -A PAIR_ROWS PAIR_RATIOS
pairs() {
  local kind=$1 ref=$2
  shift 2
  local -a peer=() sk=()
  while [ "$1" != -- ]; do peer+=("$1"); shift; done
  shift
  sk=("$@")
  local i order id saved=$BENCH_REPEAT
  BENCH_REPEAT=1 # one run per side and pair: the pairs are the repetition
  PAIR_ROWS[$kind]=""
  PAIR_RATIOS[$kind]=""
  for ((i = 1; i <= BENCH_PAIRS; i++)); do
    if ((i % 2)); then order="peer sk"; else order="sk peer"; fi
    local side mismatch=""
    for id in $order; do
      local -n run=$id
      side="${kind}_${id}_$i"
      timed "$side" "${run[1]%.log}-pair$i.log" "${run[2]}" "${run[@]:4}"
      if [ "${RC[$side]}" = 0 ]; then
        COUNTS[$side]=$("${run[3]}" "${run[1]%.log}-pair$i.log")
        if [ -n "$(compare_counts "$side" "$ref")" ]; then
          mismatch="$mismatch; ${run[0]}: $(compare_counts "$side" "$ref")"
          echo "   MISMATCH in pair $i, ${run[0]} vs ${NAME[$ref]}: $(compare_counts "$side" "$ref")" >&2
        fi
      fi
      unset -n run
    done
    local pw=${WALL[${kind}_peer_$i]:-} sw=${WALL[${kind}_sk_$i]:-}
    if [ -n "$mismatch" ]; then
      PAIR_ROWS[$kind]+="| $i | ${pw:-failed} | ${sw:-failed} | **MISMATCH** of row counts${mismatch}, left out |"$'\n'
    elif [ -n "$pw" ] && [ -n "$sw" ]; then
      local r
      r=$(awk -v a="$pw" -v b="$sw" 'BEGIN { printf "%.2f", a / b }')
      PAIR_ROWS[$kind]+="| $i ($([ $((i % 2)) = 1 ] && echo "${peer[0]} first" || echo "sparkify first")) | $(fmt2 "$pw") | $(fmt2 "$sw") | ${r}× |"$'\n'
      PAIR_RATIOS[$kind]+="$r "
      printf '   pair %d: %s %s s, sparkify %s s = %s×\n' "$i" "${peer[0]}" "$(fmt2 "$pw")" "$(fmt2 "$sw")" "$r"
    else
      PAIR_ROWS[$kind]+="| $i | ${pw:-failed} | ${sw:-failed} | — |"$'\n'
    fi
  done
  BENCH_REPEAT=$saved
}
# pairs_text KIND: "median R× of N interleaved pairs (r1, r2, ...)" or "".
pairs_text() {
  local -a r
  read -r -a r <<<"${PAIR_RATIOS[$1]:-}"
  [ ${#r[@]} -gt 0 ] || return 0
  local list
  list=$(printf '%s×, ' "${r[@]}")
  printf 'median %s× of %d interleaved pairs (%s)' "$(median "${r[@]}")" "${#r[@]}" "${list%, }"
}

# --- one size ------------------------------------------------------------------------------------
bench_size() {
  local size=$1 songs users days epd with_pandas
  read -r songs users days epd with_pandas <<<"$(size_params "$size")"
  local events=$((days * epd))
  local sdir="$BENCH_DIR/$size" data="$BENCH_DIR/$size/data"
  local work="$sdir/work" logs="$sdir/logs"
  local params="songs=$songs users=$users days=$days events-per-day=$epd seed=42 match-rate=0.6"
  WALL=() RSS_KB=() RC=() NOTE=() COUNTS=() PAIR_ROWS=() PAIR_RATIOS=()
  mkdir -p "$sdir" "$logs"
  rm -rf "$work"
  mkdir -p "$work"
  echo
  echo "== $size: $(fmt_int "$events") events, $(fmt_int "$songs") songs ($params)"

  # Generation, reused when the stamp says the same parameters wrote it.
  local stamp="$sdir/generated" gen_s gen_kb gen_reused=""
  if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$params" ] && [ -d "$data/log_data" ]; then
    read -r gen_s gen_kb < <(sed -n 2p "$stamp")
    gen_reused=" (reused; timed when generated)"
    echo "   reusing $data"
  else
    rm -rf "$data" "$stamp"
    echo "   generating into $data"
    gen_setup() { :; }
    local repeat=$BENCH_REPEAT
    BENCH_REPEAT=1 # generated once, whatever BENCH_REPEAT says
    timed gen "$logs/generate.log" gen_setup "$SPARKIFY" generate --out "$data" --songs "$songs" \
      --users "$users" --days "$days" --events-per-day "$epd" --seed 42 --match-rate 0.6
    BENCH_REPEAT=$repeat
    [ "${RC[gen]}" = 0 ] || { echo "generation failed, see $logs/generate.log" >&2; exit 1; }
    gen_s=${WALL[gen]}
    gen_kb=${RSS_KB[gen]}
    printf '%s\n%s %s\n' "$params" "$gen_s" "$gen_kb" >"$stamp"
  fi
  local ev_bytes song_bytes bytes
  ev_bytes=$(find "$data/log_data" -type f -name '*.json' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
  song_bytes=$(find "$data/song_data" -type f -name '*.json' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
  bytes=$((ev_bytes + song_bytes))
  local mb
  mb=$(calc "$bytes / 1e6")
  echo "   $(fmt2 "$(calc "$bytes / 1e6")") MB of JSON ($(fmt2 "$(calc "$ev_bytes / 1e6")") MB events," \
    "$(fmt2 "$(calc "$song_bytes / 1e6")") MB songs); generated in $(fmt2 "$gen_s") s" \
    "= $(rate "$mb" "$gen_s" 2) MB/s$gen_reused"

  local src=(--songs "$data/song_data" --events "$data/log_data" --jsonpaths "$data/log_json_path.json")

  # Every row should find the JSON in the page cache. The rows after the first find it there
  # because the row before read it; row 1 would find whatever the machine left of a reused
  # dataset (measured: its 15,000 song files staged in 1.27 s cold against 0.44 s warm, which
  # alone moved the ratio against the peer). So read every file once first.
  echo "   reading the data once so that row 1, too, finds it in the page cache"
  find "$data" -type f -name '*.json' -exec cat {} + >/dev/null

  # 1. sparkify run -> embedded DuckDB.
  local skdb="$work/sparkify.duckdb"
  sk_duck_setup() { rm -f "$skdb" "$skdb.wal"; }
  # Each command and count is spelled once: the pairs below run and count exactly these.
  local sk_duck_cmd=("$SPARKIFY" run --warehouse "duckdb:$skdb" "${src[@]}")
  sk_duck_counts() { warehouse_counts "duckdb:$skdb"; }
  timed sk_duck "$logs/sparkify-duckdb.log" sk_duck_setup "${sk_duck_cmd[@]}"
  local st_ev="" st_song="" st_total="" tr_s=""
  if [ "${RC[sk_duck]}" = 0 ]; then
    COUNTS[sk_duck]=$(sk_duck_counts)
    st_ev=$(summary_seconds "$logs/sparkify-duckdb.log" "stage staging_events")
    st_song=$(summary_seconds "$logs/sparkify-duckdb.log" "stage staging_songs")
    tr_s=$(summary_seconds "$logs/sparkify-duckdb.log" "transform time")
    st_total=$(calc "$st_ev + $st_song")
    NOTE[sk_duck]="staging $(fmt2 "$st_total") s (events $(fmt2 "$st_ev") + songs $(fmt2 "$st_song")), transforms $(fmt2 "$tr_s") s, checks $(fmt2 "$(summary_seconds "$logs/sparkify-duckdb.log" "checks")") s"
  fi
  sk_duck_setup
  say sk_duck "sparkify run -> DuckDB"

  # 8. The same data gzip-compressed (same seed, `generate --compress gzip`): what reading
  # .json.gz files costs against row 1, in the same session.
  local gzbytes=""
  if [ -z "${BENCH_SKIP_GZIP:-}" ]; then
    local gzdata="$sdir/data-gzip" gzstamp="$sdir/generated-gzip"
    if ! { [ -f "$gzstamp" ] && [ "$(cat "$gzstamp")" = "$params" ] && [ -d "$gzdata/log_data" ]; }; then
      rm -rf "$gzdata" "$gzstamp"
      echo "   generating the gzip copy into $gzdata"
      "$SPARKIFY" -q generate --out "$gzdata" --songs "$songs" --users "$users" --days "$days" \
        --events-per-day "$epd" --seed 42 --match-rate 0.6 --compress gzip >"$logs/generate-gzip.log" 2>&1 ||
        { echo "generating the gzip copy failed, see $logs/generate-gzip.log" >&2; exit 1; }
      echo "$params" >"$gzstamp"
    fi
    gzbytes=$(find "$gzdata/log_data" "$gzdata/song_data" -type f -name '*.json.gz' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
    local gzdb="$work/gzip.duckdb"
    sk_gzip_setup() { rm -f "$gzdb" "$gzdb.wal"; }
    timed sk_gzip "$logs/sparkify-duckdb-gzip.log" sk_gzip_setup "$SPARKIFY" run --warehouse "duckdb:$gzdb" \
      --songs "$gzdata/song_data" --events "$gzdata/log_data" --jsonpaths "$gzdata/log_json_path.json"
    if [ "${RC[sk_gzip]}" = 0 ]; then
      COUNTS[sk_gzip]=$(warehouse_counts "duckdb:$gzdb")
      NOTE[sk_gzip]="$(fmt2 "$(calc "$gzbytes / 1e6")") MB of .json.gz (the JSON is $(ratio "$bytes" "$gzbytes") larger); staging $(fmt2 "$(calc "$(summary_seconds "$logs/sparkify-duckdb-gzip.log" "stage staging_events") + $(summary_seconds "$logs/sparkify-duckdb-gzip.log" "stage staging_songs")")") s against row 1's $(fmt2 "${st_total:-0}") s"
    fi
    sk_gzip_setup
  else
    NOTE[sk_gzip]="skipped (BENCH_SKIP_GZIP)"
  fi
  say sk_gzip "sparkify run -> DuckDB, same data .json.gz"

  # 2. Peer: DuckDB's read_json + the same SQL.
  local pdb="$work/peer.duckdb"
  peer_duck_setup() { rm -f "$pdb" "$pdb.wal"; }
  local peer_duck_cmd=("$PY" "$ROOT/scripts/bench/peer_duckdb.py" --songs "$data/song_data"
    --events "$data/log_data" --db "$pdb")
  timed peer_duck "$logs/peer-duckdb.log" peer_duck_setup "${peer_duck_cmd[@]}"
  if [ "${RC[peer_duck]}" = 0 ]; then
    COUNTS[peer_duck]=$(peer_counts "$logs/peer-duckdb.log")
    NOTE[peer_duck]="staging $(fmt2 "$(calc "$(summary_seconds "$logs/peer-duckdb.log" "  stage staging_events") + $(summary_seconds "$logs/peer-duckdb.log" "  stage staging_songs")")") s, transforms $(fmt2 "$(summary_seconds "$logs/peer-duckdb.log" "  transform")") s"
  fi
  peer_duck_setup
  say peer_duck "peer: DuckDB read_json + same SQL"

  # 5. Bare parse (run before the PostgreSQL rows so it sees the same warm page cache as 1 and 2).
  local bare_s=""
  if [ -x "$BENCH_PARSE" ]; then
    bare_setup() { :; }
    timed bare "$logs/bare-parse.log" bare_setup "$BENCH_PARSE" "$data/song_data" "$data/log_data"
    if [ "${RC[bare]}" = 0 ]; then
      bare_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$logs/bare-parse.log" | tail -1)
      local kv f r t
      kv=$(grep '^files=' "$logs/bare-parse.log" | tail -1)
      f=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' <<<"$kv")
      r=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<<"$kv")
      t=$(sed -n 's/.*threads=\([0-9]*\).*/\1/p' <<<"$kv")
      NOTE[bare]="$(fmt_int "$f") files, $(fmt_int "$r") records, $t threads; parse alone $(fmt2 "$bare_s") s"
    fi
  else
    NOTE[bare]="skipped: $BENCH_PARSE not built (cargo build --release --examples)"
  fi
  say bare "bare parse (serde_json)"

  # 4. sparkify run -> PostgreSQL.
  ensure_pg
  sk_pg_setup() { pg_fresh_db sparkify_bench >/dev/null 2>&1; }
  local pgurl="$PG_URL/sparkify_bench?sslmode=disable"
  local sk_pg_cmd=("$SPARKIFY" run --warehouse "$pgurl" "${src[@]}")
  sk_pg_counts() { warehouse_counts "$pgurl"; }
  timed sk_pg "$logs/sparkify-postgres.log" sk_pg_setup "${sk_pg_cmd[@]}"
  if [ "${RC[sk_pg]}" = 0 ]; then
    COUNTS[sk_pg]=$(sk_pg_counts)
    NOTE[sk_pg]="staging $(fmt2 "$(calc "$(summary_seconds "$logs/sparkify-postgres.log" "stage staging_events") + $(summary_seconds "$logs/sparkify-postgres.log" "stage staging_songs")")") s, transforms $(fmt2 "$(summary_seconds "$logs/sparkify-postgres.log" "transform time")") s; RSS of the client only"
  fi
  pg_psql -c "DROP DATABASE IF EXISTS sparkify_bench" >/dev/null 2>&1 || true
  say sk_pg "sparkify run -> PostgreSQL"

  # 4b. An older sparkify into the same PostgreSQL, for the "2× today's run" target.
  if [ -n "$BENCH_BASELINE" ]; then
    base_pg_setup() { pg_fresh_db sparkify_base >/dev/null 2>&1; }
    local baseurl="$PG_URL/sparkify_base?sslmode=disable"
    local base_pg_cmd=("$BENCH_BASELINE" run --warehouse "$baseurl" "${src[@]}")
    base_pg_counts() { warehouse_counts "$baseurl"; }
    timed base_pg "$logs/baseline-postgres.log" base_pg_setup "${base_pg_cmd[@]}"
    if [ "${RC[base_pg]}" = 0 ]; then
      COUNTS[base_pg]=$(base_pg_counts)
      NOTE[base_pg]="$BENCH_BASELINE ($("$BENCH_BASELINE" --version | awk '{ print $2 }')); staging $(fmt2 "$(calc "$(summary_seconds "$logs/baseline-postgres.log" "stage staging_events") + $(summary_seconds "$logs/baseline-postgres.log" "stage staging_songs")")") s, transforms $(fmt2 "$(summary_seconds "$logs/baseline-postgres.log" "transform time")") s"
    fi
    pg_psql -c "DROP DATABASE IF EXISTS sparkify_base" >/dev/null 2>&1 || true
    say base_pg "baseline sparkify run -> PostgreSQL"
  fi

  # 6, 7. One new day into the warehouse: the data minus its last day is loaded first (not
  # timed), then `sparkify run` over all of it (timed; checks included) loads the last day's
  # file only. The events folder is a copy of hard links, so the files keep their size and
  # modification time and the load ledger sees exactly one new file.
  if [ -z "${BENCH_SKIP_NEWDAY:-}" ]; then
    local nd="$work/newday" last rel
    rm -rf "$nd"
    mkdir -p "$nd"
    cp -al "$data/log_data" "$nd/log_data"
    last=$(find "$nd/log_data" -type f -name '*.json' | sort | tail -1)
    rel=${last#"$nd/log_data/"}
    local ndsrc=(--songs "$data/song_data" --events "$nd/log_data" --jsonpaths "$data/log_json_path.json")
    # preload WAREHOUSE: loads every day but the last, then puts the last day back.
    newday_preload() {
      rm -f "$last"
      if ! "$SPARKIFY" -q run --warehouse "$1" "${ndsrc[@]}" >"$logs/newday-preload.log" 2>&1; then
        PRELOAD_FAILED="preloading the days before $rel FAILED (see $logs/newday-preload.log), so this timed a full load"
        echo "   $PRELOAD_FAILED" >&2
      fi
      ln "$data/log_data/$rel" "$last"
    }
    local nddb="$work/newday.duckdb" PRELOAD_FAILED=""
    newday_duck_setup() { rm -f "$nddb" "$nddb.wal"; newday_preload "duckdb:$nddb"; }
    timed newday_duck "$logs/newday-duckdb.log" newday_duck_setup "$SPARKIFY" run --warehouse "duckdb:$nddb" "${ndsrc[@]}"
    if [ "${RC[newday_duck]}" = 0 ]; then
      COUNTS[newday_duck]=$(warehouse_counts "duckdb:$nddb")
      NOTE[newday_duck]="$rel after the days before it; $(newday_note "$logs/newday-duckdb.log" sk_duck newday_duck) (target ≤ 10 %)"
      [ -z "$PRELOAD_FAILED" ] || { NOTE[newday_duck]="**$PRELOAD_FAILED**"; COUNTS[newday_duck]=""; }
    fi
    PRELOAD_FAILED=""
    rm -f "$nddb" "$nddb.wal"
    say newday_duck "one new day -> DuckDB"

    local ndurl="$PG_URL/sparkify_newday?sslmode=disable"
    newday_pg_setup() { pg_fresh_db sparkify_newday >/dev/null 2>&1; newday_preload "$ndurl"; }
    timed newday_pg "$logs/newday-postgres.log" newday_pg_setup "$SPARKIFY" run --warehouse "$ndurl" "${ndsrc[@]}"
    if [ "${RC[newday_pg]}" = 0 ]; then
      COUNTS[newday_pg]=$(warehouse_counts "$ndurl")
      NOTE[newday_pg]="$rel after the days before it; $(newday_note "$logs/newday-postgres.log" sk_pg newday_pg) (target ≤ 20 %); RSS of the client only"
      [ -z "$PRELOAD_FAILED" ] || { NOTE[newday_pg]="**$PRELOAD_FAILED**"; COUNTS[newday_pg]=""; }
    fi
    pg_psql -c "DROP DATABASE IF EXISTS sparkify_newday" >/dev/null 2>&1 || true
    say newday_pg "one new day -> PostgreSQL"
    rm -rf "$nd"
  else
    NOTE[newday_duck]="skipped (BENCH_SKIP_NEWDAY)"
    NOTE[newday_pg]="skipped (BENCH_SKIP_NEWDAY)"
  fi

  # Interleaved pairs for the two targets that compare sparkify with another program: a single
  # run of each, minutes apart, moved these ratios by up to 2.6x between benchmarks on this
  # machine (BENCHMARKS.md); pairs measured back to back, in alternating order, do not share
  # that drift.
  if [ "$BENCH_PAIRS" -gt 0 ]; then
    echo "   $BENCH_PAIRS interleaved pair(s): the DuckDB read_json peer and sparkify run -> DuckDB"
    pairs duck sk_duck peer "$logs/peer-duckdb.log" peer_duck_setup peer_counts "${peer_duck_cmd[@]}" -- \
      sparkify "$logs/sparkify-duckdb.log" sk_duck_setup sk_duck_counts "${sk_duck_cmd[@]}"
    peer_duck_setup
    sk_duck_setup
    if [ -n "$BENCH_BASELINE" ]; then
      echo "   $BENCH_PAIRS interleaved pair(s): the baseline and sparkify run -> PostgreSQL"
      pairs pg sk_pg baseline "$logs/baseline-postgres.log" base_pg_setup base_pg_counts "${base_pg_cmd[@]}" -- \
        sparkify "$logs/sparkify-postgres.log" sk_pg_setup sk_pg_counts "${sk_pg_cmd[@]}"
      pg_psql -c "DROP DATABASE IF EXISTS sparkify_base" -c "DROP DATABASE IF EXISTS sparkify_bench" >/dev/null 2>&1 || true
    fi
  fi

  # 3. Peer: pandas + psycopg2 row by row (the Udacity tutorial's etl.py).
  if [ "$with_pandas" = yes ] && [ -z "${BENCH_SKIP_PANDAS:-}" ]; then
    pandas_setup() { pg_fresh_db udacity_bench >/dev/null 2>&1; }
    timed pandas "$logs/pandas-postgres.log" pandas_setup "$PY" "$ROOT/scripts/bench/peer_pandas_pg.py" \
      --dsn "host=127.0.0.1 port=$PG_PORT user=postgres dbname=udacity_bench" \
      --songs "$data/song_data" --events "$data/log_data"
    if [ "${RC[pandas]}" = 0 ]; then
      COUNTS[pandas]=$(peer_counts "$logs/pandas-postgres.log")
      NOTE[pandas]="= $(ratio "${WALL[pandas]}" "${WALL[sk_pg]:-}") row 4 (same PostgreSQL); RSS of the client only"
    fi
    pg_psql -c "DROP DATABASE IF EXISTS udacity_bench" >/dev/null 2>&1 || true
  elif [ "$with_pandas" = yes ]; then
    NOTE[pandas]="skipped (BENCH_SKIP_PANDAS)"
  else
    NOTE[pandas]="not run at this size (hours of row-by-row INSERTs)"
  fi
  say pandas "peer: pandas + psycopg2 -> PostgreSQL"
  rm -rf "$work"

  # --- row counts -------------------------------------------------------------------------------
  local diff checks=()
  if [ -n "${COUNTS[sk_duck]:-}" ]; then
    for id in peer_duck sk_pg sk_gzip; do
      [ -n "${COUNTS[$id]:-}" ] || continue
      diff=$(compare_counts "$id" sk_duck)
      if [ -z "$diff" ]; then
        checks+=("row counts of ${NAME[$id]} = sparkify → DuckDB: $(counts_text "$id")")
      else
        checks+=("**MISMATCH** row counts of ${NAME[$id]} vs sparkify → DuckDB: $diff")
        echo "   MISMATCH: row counts of ${NAME[$id]} vs sparkify -> DuckDB: $diff" >&2
      fi
    done
    # One new day on top of the days before it must give the tables a full run gives.
    for pair in "newday_duck sk_duck" "newday_pg sk_pg" "base_pg sk_pg"; do
      read -r id ref <<<"$pair"
      [ -n "${COUNTS[$id]:-}" ] || continue
      if [ -z "${COUNTS[$ref]:-}" ]; then
        checks+=("**MISMATCH** ${NAME[$id]}: no counts of ${NAME[$ref]} to compare with")
        continue
      fi
      diff=$(compare_counts "$id" "$ref")
      if [ -z "$diff" ]; then
        checks+=("row counts of ${NAME[$id]} = ${NAME[$ref]}'s full run")
      else
        checks+=("**MISMATCH** row counts of ${NAME[$id]} vs ${NAME[$ref]}'s full run: $diff")
        echo "   MISMATCH: row counts of ${NAME[$id]} vs ${NAME[$ref]}: $diff" >&2
      fi
    done
    for id in newday_duck newday_pg; do
      if [ -z "${BENCH_SKIP_NEWDAY:-}" ] && [ -z "${COUNTS[$id]:-}" ]; then
        checks+=("**MISMATCH** ${NAME[$id]}: no counts (the run failed)")
      fi
    done
    if [ -n "${COUNTS[pandas]:-}" ]; then
      diff=$(compare_counts pandas sk_duck)
      checks+=("row counts of pandas + psycopg2 vs sparkify → DuckDB: ${diff:-same} (informational: the tutorial's semantics differ, e.g. its users come from NextSong events only)")
    fi
    local matched="" c
    for id in sk_duck peer_duck sk_pg pandas; do
      read -r -a c <<<"${COUNTS[$id]:-}"
      if [ ${#c[@]} -ge 6 ]; then matched="$matched, ${NAME[$id]} $(fmt_int "${c[5]}")"; fi
    done
    checks+=("song plays matched to the catalogue (informational): ${matched#, }; the peers do not repair double-encoded UTF-8, so they match fewer (\`sparkify run --keep-mojibake\` matches as many as they do)")
  fi

  # --- targets ------------------------------------------------------------------------------------
  local t pct targets=()
  t=$(ratio "${WALL[peer_duck]:-}" "${WALL[sk_duck]:-}")
  targets+=("embedded run vs DuckDB read_json peer: $t faster$([ -n "${PAIR_RATIOS[duck]:-}" ] && echo "; $(pairs_text duck)" || true) (target ≥ 1.50× at medium and large)$([ "$size" = small ] && echo '; small is dominated by start-up, informational' || true)")
  if [ -n "$bare_s" ] && [ -n "$st_total" ]; then
    pct=$(awk -v b="$bare_s" -v s="$st_total" 'BEGIN { if (s > 0) printf "%.0f", 100 * b / s; else print "—" }')
    targets+=("staging vs bare parse: staging $(fmt2 "$st_total") s = $(rate "$mb" "$st_total" 2) MB/s, bare parse $(fmt2 "$bare_s") s = $(rate "$mb" "$bare_s" 2) MB/s → staging runs at $pct % of bare-parse speed (target ≥ 50 %)")
  else
    targets+=("staging vs bare parse: — (bare parse not run)")
  fi
  targets+=("one new day into the warehouse, checks included: DuckDB $(pct "${WALL[newday_duck]:-}" "${WALL[sk_duck]:-}") of the full run (target ≤ 10 %), PostgreSQL $(pct "${WALL[newday_pg]:-}" "${WALL[sk_pg]:-}") (target ≤ 20 %)")
  if [ -n "$BENCH_BASELINE" ]; then
    targets+=("sparkify → PostgreSQL vs the baseline binary, same server, same session: $(ratio "${WALL[base_pg]:-}" "${WALL[sk_pg]:-}") faster$([ -n "${PAIR_RATIOS[pg]:-}" ] && echo "; $(pairs_text pg)" || true) (target ≥ 2.00× at large)")
  else
    targets+=("sparkify → PostgreSQL vs today's run: — (set BENCH_BASELINE to an older sparkify binary; target ≥ 2.00× at large)")
  fi
  targets+=("vs pandas + psycopg2: $(ratio "${WALL[pandas]:-}" "${WALL[sk_pg]:-}") faster on the same PostgreSQL, $(ratio "${WALL[pandas]:-}" "${WALL[sk_duck]:-}") faster embedded (target ≥ 20×)")

  # --- results file -----------------------------------------------------------------------------
  local tsv="$BENCH_DIR/results-$size.tsv" md="$BENCH_DIR/results-$size.md"
  {
    printf 'size\t%s\nevents\t%s\nbytes\t%s\n' "$size" "$events" "$bytes"
    for id in sk_duck peer_duck pandas sk_pg base_pg bare newday_duck newday_pg sk_gzip; do
      printf '%s_wall\t%s\n%s_rss_kb\t%s\n' "$id" "${WALL[$id]:-}" "$id" "${RSS_KB[$id]:-}"
    done
    printf 'pairs_duck_ratios\t%s\npairs_pg_ratios\t%s\n' "${PAIR_RATIOS[duck]:-}" "${PAIR_RATIOS[pg]:-}"
  } >"$tsv"
  local other other_size
  if [ "$size" = medium ] || [ "$size" = large ]; then
    if [ "$size" = medium ]; then other_size=large; else other_size=medium; fi
    other="$BENCH_DIR/results-$other_size.tsv"
    if [ -f "$other" ]; then
      local m_rss l_rss
      m_rss=$(awk -F'\t' '$1 == "sk_duck_rss_kb" { print $2 }' "$BENCH_DIR/results-medium.tsv" 2>/dev/null || true)
      l_rss=$(awk -F'\t' '$1 == "sk_duck_rss_kb" { print $2 }' "$BENCH_DIR/results-large.tsv" 2>/dev/null || true)
      targets+=("peak RSS of sparkify → DuckDB at 10M events: $(fmt_int "$(calc "${l_rss:-0} * 1024 / 1e6")") MB (target ≤ 1,200 MB)")
      targets+=("peak RSS of sparkify → DuckDB from 1M to 10M events: $(ratio "$l_rss" "$m_rss") (target < 2×; from results-medium.tsv and results-large.tsv)")
    else
      targets+=("peak RSS growth 1M → 10M: — (needs both medium and large results)")
    fi
  fi

  row() { # ID LABEL EVENTS-FOR-RATE
    local id=$1 label=$2 w=${WALL[$1]:-} rss=""
    if [ -n "${RSS_KB[$id]:-}" ]; then rss=$(fmt_int "$(calc "${RSS_KB[$id]} * 1024 / 1e6")"); fi
    if [ -n "$w" ]; then
      local eps
      eps=$(rate_int "$events" "$w")
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt2 "$w")" \
        "$(ratio "$w" "${WALL[sk_duck]:-}")" "$eps" "$(rate "$mb" "$w" 2)" "${rss:-—}" \
        "${NOTE[$id]:-}"
    else
      printf '| %s | — | — | — | — | — | %s |\n' "$label" "${NOTE[$id]:-not run}"
    fi
  }
  {
    echo "# sparkify benchmark: $size"
    echo
    machine_header
    echo
    echo "Data: \`sparkify generate $params\` → $(fmt_int "$events") events" \
      "in $days log files, $(fmt_int "$songs") song files, $(fmt2 "$(calc "$bytes / 1e6")") MB of JSON" \
      "(MB = 10⁶ bytes everywhere). Wall time and peak RSS from \`/usr/bin/time\`, fastest of" \
      "$BENCH_REPEAT run(s), fresh warehouse each run, warm page cache."
    echo
    echo "| run | wall s | × sparkify | events/s | MB/s JSON | peak RSS MB | notes |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
    printf '| generate the data (%s) | %s | — | %s | %s | %s | writes the JSON%s |\n' \
      "\`sparkify generate\`" "$(fmt2 "$gen_s")" "$(rate_int "$events" "$gen_s")" "$(rate "$mb" "$gen_s" 2)" \
      "$(fmt_int "$(calc "${gen_kb:-0} * 1024 / 1e6")")" "$gen_reused"
    row sk_duck "1. **sparkify run → DuckDB** (embedded)"
    row peer_duck "2. DuckDB \`read_json\` + same SQL (Python duckdb $DUCKDB_VERSION)"
    row pandas "3. pandas + psycopg2 row by row → PostgreSQL"
    row sk_pg "4. sparkify run → PostgreSQL $PG_VERSION"
    row bare "5. bare parse, serde_json on all threads"
    row newday_duck "6. one new day into the $size warehouse → DuckDB (\`sparkify run\`, checks included)"
    row newday_pg "7. one new day into the $size warehouse → PostgreSQL $PG_VERSION"
    row sk_gzip "8. sparkify run → DuckDB, the same data as \`.json.gz\` (\`generate --compress gzip\`)"
    if [ -n "$BENCH_BASELINE" ]; then
      row base_pg "4b. baseline sparkify → PostgreSQL $PG_VERSION"
    fi
    echo
    echo "× sparkify = wall time / wall time of row 1 (above 1: slower than sparkify)."
    local kind
    for kind in duck pg; do
      [ -n "${PAIR_ROWS[$kind]:-}" ] || continue
      echo
      if [ "$kind" = duck ]; then
        echo "Interleaved pairs (\`BENCH_PAIRS=$BENCH_PAIRS\`): the DuckDB \`read_json\` peer (row 2) and row 1," \
          "one run each, back to back, the order alternating; ratio = peer ÷ sparkify."
        echo
        echo "| pair | peer s | sparkify s | ratio |"
      else
        echo "Interleaved pairs (\`BENCH_PAIRS=$BENCH_PAIRS\`): the baseline (row 4b) and row 4," \
          "one run each, back to back, the order alternating; ratio = baseline ÷ sparkify."
        echo
        echo "| pair | baseline s | sparkify s | ratio |"
      fi
      echo "| --- | ---: | ---: | ---: |"
      printf '%s' "${PAIR_ROWS[$kind]}"
      echo
      if [ -n "${PAIR_RATIOS[$kind]:-}" ]; then
        echo "Over the pairs: $(pairs_text "$kind")."
      else
        echo "Over the pairs: none to count (see the rows above)."
      fi
    done
    echo
    for line in "${checks[@]}" "${targets[@]}"; do echo "- $line"; done
  } >"$md"
  echo
  cat "$md"
  echo
  echo "   written to $md (logs in $logs)"
}

setup_python
for size in "${SIZES[@]}"; do
  bench_size "$size"
done
