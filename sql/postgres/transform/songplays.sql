-- songplays on PostgreSQL: the rows of sql/transform/songplays.sql (one per NextSong event, an
-- event repeated in the logs is one play, the same catalogue match, songplay_id numbering
-- plays in time order), with one sort of the events instead of two.
-- depends: songs, artists, users
-- The common statement finds each event's first copy with a window partitioned by (user,
-- session, item, ts), joins the catalogue, then numbers the plays by (ts, user, session,
-- item): PostgreSQL sorts every play with all its columns twice, and at 10M events each sort
-- spilled 1.7 GB to disk. Here the catalogue is joined first (a copy's match depends only on
-- its own song, artist and length, so the first copy keeps the match it would have had), and
-- the events are keyed (ts, user, session, item): the columns of that key may come
-- in any order, and in this one the sort that finds first copies (ascending, NULLs last)
-- also puts the plays in numbering order, so the numbering window needs no sort of its own.
-- The rows reach the table in time order whatever the catalogue's size, as the BRIN index
-- on start_time needs (sql/indexes/postgres.sql); numbering before the join was 1-2 s
-- faster, but a catalogue too big for work_mem splits a hash join into batches, and then the
-- rows would no longer come in order. Measured at 10M events, each in a rolled-back
-- transaction (BENCHMARKS.md 2026-12-03, before midnight): 59.0 s for the common statement,
-- 38.1-43.9 s for this one.
-- The first copy of each event is taken by DISTINCT ON rather than ROW_NUMBER() ... = 1: the
-- same sort, then a Unique node instead of a window over 8.3M rows (every column of the
-- output is either a sort key or follows from them, so copies that tie on the whole order
-- give the same row). Alternating at 10M events, inserting into a scratch table: 26.0 and
-- 23.6 s with the window, 21.0 and 22.2 s with DISTINCT ON; the same 8,313,458 rows, ids
-- included (BENCHMARKS.md 2026-12-04, late evening).
DELETE FROM songplays;
INSERT INTO songplays (songplay_id, start_time, user_id, level, song_id, artist_id,
                       session_id, location, user_agent)
SELECT ROW_NUMBER() OVER (
           ORDER BY ts, userid, sessionid NULLS LAST, iteminsession NULLS LAST
       ) AS songplay_id,
       sparkify_epoch_ms(ts) AS start_time,
       userid, level, song_id, artist_id, sessionid, location, useragent
FROM (
    SELECT DISTINCT ON (e.ts, e.userid, e.sessionid, e.iteminsession)
           e.ts, e.userid, e.sessionid, e.iteminsession, e.level, e.location, e.useragent,
           s.song_id, s.artist_id
    FROM staging_events e
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
       AND s.duration = e.length
    WHERE e.page = 'NextSong' AND e.ts IS NOT NULL AND e.userid IS NOT NULL
    ORDER BY e.ts, e.userid, e.sessionid, e.iteminsession,
             e.song NULLS LAST, e.artist NULLS LAST, e.length NULLS LAST,
             e.level NULLS LAST, e.location NULLS LAST, e.useragent NULLS LAST
) copies;
