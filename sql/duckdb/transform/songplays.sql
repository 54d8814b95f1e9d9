-- songplays on DuckDB: the rows of sql/transform/songplays.sql (one per NextSong event, an event
-- repeated in the logs is one play, the same catalogue match, songplay_id numbering plays in
-- time order), with the work arranged for DuckDB's memory cap.
-- The common statement sorts every play twice with all its columns: once to find the first
-- copy of each event, once to number plays in time order. At 10M events under the 1 GB cap
-- DuckDB spilled those sorts to disk (26.6 s for this statement, BENCHMARKS.md 2026-12-03).
-- Here:
-- * ranked: one sort of each play's key (ts, user, session, item) and its rowid, nothing
--   wider. In key order, DENSE_RANK numbers the distinct keys, which is the common
--   statement's numbering (it ranks the first copies by the same key), and a play is
--   repeated when the play before or after it in that order has the same key.
-- * a play that is not repeated (nearly all) takes its number by a join on rowid, a single
--   integer, with the staging row it came from;
-- * only the copies of repeated events are ranked as the common statement ranks them.
-- An earlier form grouped the keys, numbered the groups and joined the plays back on all four
-- key columns: 9.4 s and 980 MB at 10M events under the 800 MB cap, 17.6 s under 500 MB; this
-- one 7.9 s and 8.6 s (BENCHMARKS.md 2026-12-04).
-- join_filter_pushdown is off for this statement: DuckDB 2.0.0 pushes a Bloom filter of the
-- join's rowids into the scan of staging_events, and hashing the rowids of rows this
-- transaction staged after deleting others writes past its buffer (valgrind: an invalid write
-- in BloomFilterExecutor::FilterSelection; tests/backfill.rs's rebuild crashed 2 runs of 3,
-- none of 5 with it off, at the same speed: the filter cannot skip rows here anyway, nearly
-- every play is in the join). RESET gives the next statements DuckDB's default back.
-- IS NOT DISTINCT FROM: a session or item may be NULL, and ORDER BY puts NULL keys together
-- as peers, so two copies of an event without a session are one play. PostgreSQL keeps the
-- common form: a plan like the earlier one, written with hash-joinable NULL tests, took 129 s
-- there against the common statement's 52 s at 10M, its default work_mem being 4 MB.
DELETE FROM songplays;
SET disabled_optimizers = 'join_filter_pushdown';
INSERT INTO songplays (songplay_id, start_time, user_id, level, song_id, artist_id,
                       session_id, location, user_agent)
WITH ranked AS MATERIALIZED (
    SELECT rid, songplay_id,
           (ts = prev_ts AND userid = prev_user
            AND sessionid IS NOT DISTINCT FROM prev_session
            AND iteminsession IS NOT DISTINCT FROM prev_item)
           OR (ts = next_ts AND userid = next_user
               AND sessionid IS NOT DISTINCT FROM next_session
               AND iteminsession IS NOT DISTINCT FROM next_item) AS repeated
    FROM (
        SELECT rowid AS rid, ts, userid, sessionid, iteminsession,
               DENSE_RANK() OVER by_key AS songplay_id,
               LAG(ts) OVER by_key AS prev_ts, LAG(userid) OVER by_key AS prev_user,
               LAG(sessionid) OVER by_key AS prev_session,
               LAG(iteminsession) OVER by_key AS prev_item,
               LEAD(ts) OVER by_key AS next_ts, LEAD(userid) OVER by_key AS next_user,
               LEAD(sessionid) OVER by_key AS next_session,
               LEAD(iteminsession) OVER by_key AS next_item
        FROM staging_events
        WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
        WINDOW by_key AS (ORDER BY ts, userid, sessionid NULLS LAST, iteminsession NULLS LAST)
    ) keyed
)
SELECT e.songplay_id, sparkify_epoch_ms(e.ts) AS start_time,
       e.userid, e.level, s.song_id, s.artist_id, e.sessionid, e.location, e.useragent
FROM (
    SELECT k.songplay_id, p.ts, p.userid, p.sessionid, p.level, p.song, p.artist, p.length,
           p.location, p.useragent
    FROM staging_events p
    JOIN ranked k ON k.rid = p.rowid
    WHERE NOT k.repeated
    UNION ALL
    SELECT songplay_id, ts, userid, sessionid, level, song, artist, length, location, useragent
    FROM (
        SELECT k.songplay_id, p.ts, p.userid, p.sessionid, p.level, p.song, p.artist, p.length,
               p.location, p.useragent,
               ROW_NUMBER() OVER (
                   PARTITION BY k.songplay_id
                   ORDER BY p.song NULLS LAST, p.artist NULLS LAST, p.length NULLS LAST,
                            p.level NULLS LAST, p.location NULLS LAST, p.useragent NULLS LAST
               ) AS copy_no
        FROM staging_events p
        JOIN ranked k ON k.rid = p.rowid
        WHERE k.repeated
    ) repeated
    WHERE copy_no = 1
) e
LEFT JOIN (
    SELECT song_id, artist_id, title, artist_name, duration,
           ROW_NUMBER() OVER (
               PARTITION BY title, artist_name, duration ORDER BY song_id
           ) AS pick
    FROM staging_songs
    WHERE song_id IS NOT NULL
) s
    ON s.pick = 1
   AND s.title = e.song
   AND s.artist_name = e.artist
   AND s.duration = e.length;
RESET disabled_optimizers;
