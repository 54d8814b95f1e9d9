#!/usr/bin/env bash
# Benchmark S3 reading of many small objects: listing + reading N song files (~250 bytes each,
# like song_data) from a local moto server, with --concurrency 1 versus the default (32).
# Starts moto on a free loopback port and stops it at exit.
# Usage: scripts/bench-s3.sh [OBJECTS]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sparkify-target}"
N="${1:-2000}"
VENV="${SPARKIFY_MOTO_VENV:-$HOME/.cache/sparkify-moto}"
if [ ! -x "$VENV/bin/moto_server" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[ec2,iam,s3,redshift]==5.2.5" flask flask-cors
fi
cargo build --release --quiet
SPARKIFY="$CARGO_TARGET_DIR/release/sparkify"
WORK=$(mktemp -d /tmp/sparkify-bench-s3.XXXXXX)
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO=$!
cleanup() { kill "$MOTO" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_REGION=us-west-2 \
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_CONFIG_FILE=/nonexistent \
  AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 50); do
  "$VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && break
  sleep 0.1
done

"$SPARKIFY" generate -q --out "$WORK/data" --songs "$N" --days 1 --events-per-day 50 >/dev/null
"$VENV/bin/python" - "$WORK/data" <<'EOF'
import os, sys, boto3
root = sys.argv[1]
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bench", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
n = 0
for dirpath, _, files in os.walk(root):
    for f in files:
        path = os.path.join(dirpath, f)
        key = os.path.relpath(path, root)
        s3.upload_file(path, "bench", key)
        n += 1
print(f"uploaded {n} objects to s3://bench/")
EOF

# The song-staging line of `etl`: "stage staging_songs  ROWS  TIME s  ...".
songs_seconds() {
  "$SPARKIFY" etl -q --full-refresh --warehouse "duckdb:$WORK/w.duckdb" \
    --songs s3://bench/song_data --events s3://bench/log_data \
    --jsonpaths s3://bench/log_json_path.json "$@" |
    awk '/^stage staging_songs/ { print $4 }'
}
echo "objects: $N song files (list + GET each), moto $("$VENV/bin/pip" show moto | awk '/^Version/{print $2}') on 127.0.0.1, $(nproc) cores"
printf '%-16s %10s %12s %8s\n' "concurrency" "seconds" "objects/s" "ratio"
base=""
for c in 1 32; do
  best=""
  for _ in 1 2 3; do
    t=$(songs_seconds --concurrency "$c")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  rate=$(awk "BEGIN{printf \"%.0f\", $N / $best}")
  [ -z "$base" ] && base=$best
  ratio=$(awk "BEGIN{printf \"%.1fx\", $base / $best}")
  printf '%-16s %10s %12s %8s\n' "$c" "$best" "$rate" "$ratio"
done
echo "(best of 3 runs each; the time is sparkify's staging_songs step: listing, GETs, parsing, appending)"
