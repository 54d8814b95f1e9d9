#!/usr/bin/env python3
"""Peer for `sparkify run` on the embedded warehouse: DuckDB's own JSON reader plus the SAME SQL.

Loads staging_events / staging_songs with DuckDB's `read_json` into the tables of
schema/staging_*.sql (same names, same types), then creates the star tables from
schema/*.sql and runs functions/duckdb.sql and transform/*.sql in sparkify's
transform order. All of these come from peer_sql/, the peer's frozen copy of sparkify's sql/
as it was before issue #14 (see peer_sql/README.md), so the peer does not get faster when
sparkify's SQL does (derived from the files' `-- depends:` headers by sql_order.py), everything in
one transaction on a DuckDB file, as sparkify does.

What it does not do that sparkify does: COPY-rule row rejection with a load_errors ledger,
load_ledger rows, the mojibake repair (so fewer plays match the catalogue; row counts are the
same) and the data-quality checks.

Usage: peer_duckdb.py --songs DIR --events DIR --db FILE
Prints per-step times and a final line `COUNTS table=rows ...` for scripts/bench.sh.
"""
import argparse
import os
import sys
import time

import duckdb

from sql_order import SQL, models

# sparkify's transform order, from the `-- depends:` headers of sql/transform/*.sql.
MODELS = models()

# Key names and types as in the logs; log_json_path.json maps them by position to the
# lower-case columns of sql/schema/staging_events.sql.
EVENT_KEYS = [
    ("artist", "VARCHAR"),
    ("auth", "VARCHAR"),
    ("firstName", "VARCHAR"),
    ("gender", "VARCHAR"),
    ("itemInSession", "INTEGER"),
    ("lastName", "VARCHAR"),
    ("length", "DOUBLE"),
    ("level", "VARCHAR"),
    ("location", "VARCHAR"),
    ("method", "VARCHAR"),
    ("page", "VARCHAR"),
    ("registration", "DOUBLE"),
    ("sessionId", "INTEGER"),
    ("song", "VARCHAR"),
    ("status", "SMALLINT"),
    ("ts", "BIGINT"),
    ("userAgent", "VARCHAR"),
    # A string in the logs, "" for logged-out users: read as text, NULLIF + TRY_CAST below
    # (Redshift COPY loads an empty string as NULL into a non-text column).
    ("userId", "VARCHAR"),
]
SONG_KEYS = [
    ("num_songs", "INTEGER"),
    ("artist_id", "VARCHAR"),
    ("artist_latitude", "DOUBLE"),
    ("artist_longitude", "DOUBLE"),
    ("artist_location", "VARCHAR"),
    ("artist_name", "VARCHAR"),
    ("song_id", "VARCHAR"),
    ("title", "VARCHAR"),
    ("duration", "DOUBLE"),
    ("year", "INTEGER"),
]


def sql_file(rel):
    return (SQL / rel).read_text(encoding="utf-8")


def lit(text):
    return "'" + text.replace("'", "''") + "'"


def struct(keys):
    return "{" + ", ".join(f"{lit(k)}: {lit(t)}" for k, t in keys) + "}"


def glob(folder):
    return lit(os.path.join(os.path.abspath(folder), "**", "*.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", required=True, help="folder of song files")
    ap.add_argument("--events", required=True, help="folder of event logs")
    ap.add_argument("--db", required=True, help="DuckDB file to create (must not exist)")
    args = ap.parse_args()
    if os.path.exists(args.db):
        sys.exit(f"peer_duckdb: {args.db} exists; the benchmark wants a fresh warehouse")

    t0 = time.perf_counter()
    con = duckdb.connect(args.db)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"peer_duckdb: DuckDB {duckdb.__version__}, {threads} threads, {args.db}")
    con.execute("BEGIN TRANSACTION")

    step = time.perf_counter()
    con.execute(sql_file("functions/duckdb.sql"))
    for table in ["staging_events", "staging_songs"] + MODELS:
        con.execute(sql_file(f"schema/{table}.sql"))
    print(f"  create tables                 {time.perf_counter() - step:8.2f} s")

    cols = ", ".join(k.lower() for k, _ in EVENT_KEYS)
    exprs = ", ".join(
        'TRY_CAST(NULLIF("userId", \'\') AS INTEGER)' if k == "userId" else f'"{k}"'
        for k, _ in EVENT_KEYS
    )
    step = time.perf_counter()
    con.execute(
        f"INSERT INTO staging_events ({cols}) SELECT {exprs} FROM read_json({glob(args.events)}, "
        f"format = 'newline_delimited', columns = {struct(EVENT_KEYS)})"
    )
    n = con.execute("SELECT COUNT(*) FROM staging_events").fetchone()[0]
    print(f"  stage staging_events {n:>12,} {time.perf_counter() - step:6.2f} s")

    cols = ", ".join(k for k, _ in SONG_KEYS)
    step = time.perf_counter()
    con.execute(
        f"INSERT INTO staging_songs ({cols}) SELECT {cols} FROM read_json({glob(args.songs)}, "
        f"format = 'auto', columns = {struct(SONG_KEYS)})"
    )
    n = con.execute("SELECT COUNT(*) FROM staging_songs").fetchone()[0]
    print(f"  stage staging_songs  {n:>12,} {time.perf_counter() - step:6.2f} s")

    step = time.perf_counter()
    for model in MODELS:
        con.execute(sql_file(f"transform/{model}.sql"))
    con.execute("COMMIT")
    print(f"  transform (5 models, commit)  {time.perf_counter() - step:8.2f} s")

    counts = {}
    for table in MODELS + ["staging_events", "staging_songs"]:
        counts[table] = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    counts["matched"] = con.execute(
        "SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL"
    ).fetchone()[0]
    con.close()
    print(f"  total                         {time.perf_counter() - t0:8.2f} s")
    print("COUNTS " + " ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
