#!/usr/bin/env python3
"""Peer: the classic Udacity "Data Modeling with Postgres" ETL (etl.py), pandas + psycopg2.

Every JSON file is read with pandas (`pd.read_json(path, typ='series')` for a song file,
`pd.read_json(path, lines=True)` for a day of logs) and written with one `cur.execute(INSERT ...)`
per row, committing after each file, exactly as the reference etl.py does:
  songs, artists   one INSERT ... ON CONFLICT DO NOTHING per song file
  time             one INSERT per NextSong event (ON CONFLICT DO NOTHING)
  users            one INSERT per NextSong event (ON CONFLICT DO UPDATE SET level)
  songplays        one SELECT song_id, artist_id (songs JOIN artists on title, name, duration)
                   and one INSERT per NextSong event
The star tables are sparkify's own, from the peers' frozen copy (peer_sql/schema/{songs,artists,
users,songplays,time}.sql, see peer_sql/README.md), so the target is the same; songplay_id is numbered in the loop (the reference used SERIAL).

Its semantics are the tutorial's, not sparkify's: users come from NextSong events only, a
repeated event is a repeated play, weekday counts from Monday, no mojibake repair. So its row
counts are shown for information and may differ from sparkify's (users especially).

Usage: peer_pandas_pg.py --dsn DSN --songs DIR --events DIR
Prints per-phase times and a final line `COUNTS table=rows ...` for scripts/bench.sh.
"""
import argparse
import glob
import os
import time

import numpy as np
import pandas as pd
import psycopg2
from psycopg2.extensions import AsIs, register_adapter

from sql_order import SQL, models

# sparkify's star tables, in its transform order (the `-- depends:` headers of
# sql/transform/*.sql).
TABLES = models()

# The usual fix Udacity students add: psycopg2 cannot adapt numpy integers by itself.
for np_type in (np.int64, np.int32, np.int16, np.int8, np.uint32, np.uint64):
    register_adapter(np_type, lambda v: AsIs(int(v)))
register_adapter(np.bool_, lambda v: AsIs(bool(v)))

song_table_insert = """INSERT INTO songs (song_id, title, artist_id, year, duration)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (song_id) DO NOTHING"""
artist_table_insert = """INSERT INTO artists (artist_id, name, location, latitude, longitude)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (artist_id) DO NOTHING"""
time_table_insert = """INSERT INTO time (start_time, hour, day, week, month, year, weekday)
VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (start_time) DO NOTHING"""
user_table_insert = """INSERT INTO users (user_id, first_name, last_name, gender, level)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level"""
songplay_table_insert = """INSERT INTO songplays (songplay_id, start_time, user_id, level,
song_id, artist_id, session_id, location, user_agent)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
song_select = """SELECT songs.song_id, artists.artist_id
FROM songs JOIN artists ON songs.artist_id = artists.artist_id
WHERE songs.title = %s AND artists.name = %s AND songs.duration = %s"""


def process_song_file(cur, filepath, state):
    df = pd.read_json(filepath, typ="series")
    song_data = df[["song_id", "title", "artist_id", "year", "duration"]].tolist()
    cur.execute(song_table_insert, song_data)
    artist_data = df[
        ["artist_id", "artist_name", "artist_location", "artist_latitude", "artist_longitude"]
    ].tolist()
    cur.execute(artist_table_insert, artist_data)


def process_log_file(cur, filepath, state):
    df = pd.read_json(filepath, lines=True)
    df = df[df["page"] == "NextSong"]

    t = pd.to_datetime(df["ts"], unit="ms")
    time_data = (t, t.dt.hour, t.dt.day, t.dt.isocalendar().week, t.dt.month, t.dt.year,
                 t.dt.day_of_week)
    column_labels = ("start_time", "hour", "day", "week", "month", "year", "weekday")
    time_df = pd.DataFrame(dict(zip(column_labels, time_data)))
    for _, row in time_df.iterrows():
        cur.execute(time_table_insert, list(row))

    user_df = df[["userId", "firstName", "lastName", "gender", "level"]]
    for _, row in user_df.iterrows():
        cur.execute(user_table_insert, list(row))

    for _, row in df.iterrows():
        cur.execute(song_select, (row.song, row.artist, row.length))
        results = cur.fetchone()
        songid, artistid = results if results else (None, None)
        state["songplay_id"] += 1
        songplay_data = (state["songplay_id"], pd.to_datetime(row.ts, unit="ms"), row.userId,
                         row.level, songid, artistid, row.sessionId, row.location,
                         row.userAgent)
        cur.execute(songplay_table_insert, songplay_data)


def process_data(cur, conn, filepath, func, state):
    all_files = []
    for root, _dirs, _files in os.walk(filepath):
        for f in glob.glob(os.path.join(root, "*.json")):
            all_files.append(os.path.abspath(f))
    all_files.sort()
    print(f"  {len(all_files)} files found in {filepath}", flush=True)
    for datafile in all_files:
        func(cur, datafile, state)
        conn.commit()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", required=True, help="libpq DSN of an empty database")
    ap.add_argument("--songs", required=True)
    ap.add_argument("--events", required=True)
    args = ap.parse_args()

    t0 = time.perf_counter()
    conn = psycopg2.connect(args.dsn)
    cur = conn.cursor()
    for table in TABLES:
        cur.execute((SQL / "schema" / f"{table}.sql").read_text(encoding="utf-8"))
    conn.commit()
    print(f"peer_pandas_pg: pandas {pd.__version__}, psycopg2 {psycopg2.__version__.split()[0]}")

    state = {"songplay_id": 0}
    step = time.perf_counter()
    process_data(cur, conn, args.songs, process_song_file, state)
    print(f"  song files                    {time.perf_counter() - step:8.2f} s", flush=True)
    step = time.perf_counter()
    process_data(cur, conn, args.events, process_log_file, state)
    print(f"  log files                     {time.perf_counter() - step:8.2f} s", flush=True)

    counts = {}
    for table in TABLES:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        counts[table] = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL")
    counts["matched"] = cur.fetchone()[0]
    conn.close()
    print(f"  total                         {time.perf_counter() - t0:8.2f} s")
    print("COUNTS " + " ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
