-- songplays after a backfill: the plays of changed_plays' pairs (those of the removed rows and
-- of the loaded ones) are computed again from all staged events and replace the pairs' rows,
-- keeping their songplay_id values; a pair with no event left loses its play. From here on
-- this is sql/incremental/songplays.sql after its changed_plays fill, word for word (a unit
-- test keeps them equal).
-- The rows being replaced, whose songplay_id values the new rows of their pair keep.
DELETE FROM replaced_plays;
INSERT INTO replaced_plays (start_time, user_id, songplay_id)
SELECT p.start_time, p.user_id, p.songplay_id
FROM songplays p
JOIN changed_plays c ON c.start_time = p.start_time AND c.user_id = p.user_id
-- Implied by the join; said so the engine reads only the stretch of time that changed (an
-- index on PostgreSQL, zone maps on DuckDB) instead of every play.
WHERE p.start_time BETWEEN (SELECT MIN(start_time) FROM changed_plays)
                       AND (SELECT MAX(start_time) FROM changed_plays);
DELETE FROM songplays WHERE songplay_id IN (SELECT songplay_id FROM replaced_plays);
-- A pair's plays take its earlier ids in play order (almost always one play, one id); a play
-- new to its pair gets an id above every id given so far, so an id is never given twice.
INSERT INTO songplays (songplay_id, start_time, user_id, level, song_id, artist_id,
                       session_id, location, user_agent)
SELECT COALESCE(r.songplay_id,
                highest.songplay_id + ROW_NUMBER() OVER (
                    PARTITION BY CASE WHEN r.songplay_id IS NULL THEN 1 ELSE 0 END
                    ORDER BY p.ts, p.userid, p.sessionid NULLS LAST, p.iteminsession NULLS LAST
                )) AS songplay_id,
       p.start_time, p.userid, p.level, s.song_id, s.artist_id, p.sessionid, p.location,
       p.useragent
FROM (
    SELECT ts, sparkify_epoch_ms(ts) AS start_time, userid, sessionid, iteminsession, level,
           song, artist, length, location, useragent,
           ROW_NUMBER() OVER (
               PARTITION BY ts, userid
               ORDER BY sessionid NULLS LAST, iteminsession NULLS LAST
           ) AS slot
    FROM (
        SELECT e.ts, e.userid, e.sessionid, e.iteminsession, e.level, e.song, e.artist,
               e.length, e.location, e.useragent,
               ROW_NUMBER() OVER (
                   PARTITION BY e.userid, e.sessionid, e.iteminsession, e.ts
                   ORDER BY e.song NULLS LAST, e.artist NULLS LAST, e.length NULLS LAST,
                            e.level NULLS LAST, e.location NULLS LAST, e.useragent NULLS LAST
               ) AS copy_no
        FROM staging_events e
        JOIN changed_plays c ON c.ts = e.ts AND c.user_id = e.userid
        WHERE e.page = 'NextSong'
          -- Implied by the join, as above: only the stretch of staged events that changed.
          AND e.ts BETWEEN (SELECT MIN(ts) FROM changed_plays) AND (SELECT MAX(ts) FROM changed_plays)
    ) events
    WHERE copy_no = 1
) p
CROSS JOIN (
    SELECT COALESCE(MAX(songplay_id), 0) AS songplay_id
    FROM (SELECT songplay_id FROM songplays
          UNION ALL
          SELECT songplay_id FROM replaced_plays) given
) highest
LEFT JOIN (
    SELECT start_time, user_id, songplay_id,
           ROW_NUMBER() OVER (PARTITION BY start_time, user_id ORDER BY songplay_id) AS slot
    FROM replaced_plays
) r
    ON r.start_time = p.start_time
   AND r.user_id = p.userid
   AND r.slot = p.slot
LEFT JOIN (
    SELECT song_id, artist_id, title, artist_name, duration,
           ROW_NUMBER() OVER (
               PARTITION BY title, artist_name, duration ORDER BY song_id
           ) AS pick
    FROM staging_songs
    WHERE song_id IS NOT NULL
) s
    ON s.pick = 1
   AND s.title = p.song
   AND s.artist_name = p.artist
   AND s.duration = p.length;
