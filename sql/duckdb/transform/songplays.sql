-- songplays on DuckDB: the rows of sql/transform/songplays.sql (one per NextSong event, an event
-- repeated in the logs is one play, the same catalogue match, songplay_id numbering plays in
-- time order), with the work arranged for DuckDB's memory cap.
-- The common statement sorts every play twice with all its columns: once to find the first
-- copy of each event, once to number plays in time order. At 10M events under the 1 GB cap
-- DuckDB spilled those sorts to disk (26.6 s for this statement; 6.3 s this way, measured on
-- the bench's large set, BENCHMARKS.md 2026-12-03). Here:
-- * plays: each event's key (ts, user, session, item) once, with how many copies the logs
--   hold and its number in time order: a sort of four integers, not of the whole row. The
--   key is what the common statement both dedupes by and numbers by, so the numbers agree.
-- * an event with one copy (nearly all) takes its number by a join on the key;
-- * only the copies of repeated events are ranked as the common statement ranks them.
-- IS NOT DISTINCT FROM: a session or item may be NULL, and PARTITION BY groups NULLs together
-- (DuckDB hash-joins on it). PostgreSQL keeps the common form: this plan, written with
-- hash-joinable NULL tests, took 129 s there (71 s inserting in key order) against the common
-- statement's 52 s at 10M, its default work_mem being 4 MB.
DELETE FROM songplays;
INSERT INTO songplays (songplay_id, start_time, user_id, level, song_id, artist_id,
                       session_id, location, user_agent)
WITH plays AS MATERIALIZED (
    SELECT ts, userid, sessionid, iteminsession, COUNT(*) AS copies,
           ROW_NUMBER() OVER (
               ORDER BY ts, userid, sessionid NULLS LAST, iteminsession NULLS LAST
           ) AS songplay_id
    FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
    GROUP BY ts, userid, sessionid, iteminsession
)
SELECT e.songplay_id, sparkify_epoch_ms(e.ts) AS start_time,
       e.userid, e.level, s.song_id, s.artist_id, e.sessionid, e.location, e.useragent
FROM (
    SELECT k.songplay_id, p.ts, p.userid, p.sessionid, p.level, p.song, p.artist, p.length,
           p.location, p.useragent
    FROM staging_events p
    JOIN plays k
      ON k.ts = p.ts AND k.userid = p.userid
     AND k.sessionid IS NOT DISTINCT FROM p.sessionid
     AND k.iteminsession IS NOT DISTINCT FROM p.iteminsession
    WHERE p.page = 'NextSong' AND k.copies = 1
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
        JOIN plays k
          ON k.ts = p.ts AND k.userid = p.userid
         AND k.sessionid IS NOT DISTINCT FROM p.sessionid
         AND k.iteminsession IS NOT DISTINCT FROM p.iteminsession
        WHERE p.page = 'NextSong' AND k.copies > 1
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
