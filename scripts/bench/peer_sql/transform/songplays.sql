-- songplays: one row per NextSong event. An event repeated in the logs (same user, session,
-- item and ts) is one play, not two. The catalogue match is on title + artist name + duration;
-- when several songs share all three, the lowest song_id is taken so a play never doubles.
-- songplay_id numbers plays in time order, so it is the same on every engine and every re-run.
-- depends: songs, artists, users
-- The statement reads only staging, but the rows' keys point into these dimensions (the
-- `references` checks in sql/schema/songplays.sql), so they are rebuilt first, in this order,
-- as a star schema is loaded: dimensions, then the fact.
DELETE FROM songplays;
INSERT INTO songplays (songplay_id, start_time, user_id, level, song_id, artist_id,
                       session_id, location, user_agent)
SELECT ROW_NUMBER() OVER (
           ORDER BY e.ts, e.userid, e.sessionid NULLS LAST, e.iteminsession NULLS LAST
       ) AS songplay_id,
       sparkify_epoch_ms(e.ts) AS start_time,
       e.userid, e.level, s.song_id, s.artist_id, e.sessionid, e.location, e.useragent
FROM (
    SELECT ts, userid, sessionid, iteminsession, level, song, artist, length, location, useragent,
           ROW_NUMBER() OVER (
               PARTITION BY userid, sessionid, iteminsession, ts
               ORDER BY song NULLS LAST, artist NULLS LAST, length NULLS LAST,
                        level NULLS LAST, location NULLS LAST, useragent NULLS LAST
           ) AS copy_no
    FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
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
   AND s.duration = e.length
WHERE e.copy_no = 1;
