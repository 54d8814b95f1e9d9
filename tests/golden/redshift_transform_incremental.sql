-- songs, from this run's song records only: every song_id they name is picked again from all
-- its staged records, as sql/transform/songs.sql picks it.
DELETE FROM songs WHERE song_id IN (SELECT song_id FROM staging_songs_new);
INSERT INTO songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration
FROM (
    SELECT song_id, title, artist_id, year, duration,
           ROW_NUMBER() OVER (
               PARTITION BY song_id
               ORDER BY title NULLS LAST, artist_id NULLS LAST, year NULLS LAST, duration NULLS LAST
           ) AS pick
    FROM staging_songs
    WHERE song_id IS NOT NULL AND song_id <> ''
      AND song_id IN (SELECT song_id FROM staging_songs_new)
) ranked
WHERE pick = 1;

-- artists, from this run's song records only: every artist_id they name is picked again from
-- all its staged records, as sql/transform/artists.sql picks it.
DELETE FROM artists WHERE artist_id IN (SELECT artist_id FROM staging_songs_new);
INSERT INTO artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, NULLIF(TRIM(artist_location), ''), artist_latitude, artist_longitude
FROM (
    SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude,
           ROW_NUMBER() OVER (
               PARTITION BY artist_id
               ORDER BY CASE WHEN artist_latitude IS NULL OR artist_longitude IS NULL THEN 1 ELSE 0 END,
                        CASE WHEN artist_location IS NULL OR TRIM(artist_location) = '' THEN 1 ELSE 0 END,
                        artist_name NULLS LAST, artist_location NULLS LAST, song_id NULLS LAST
           ) AS pick
    FROM staging_songs
    WHERE artist_id IS NOT NULL AND artist_id <> ''
      AND artist_id IN (SELECT artist_id FROM staging_songs_new)
) ranked
WHERE pick = 1;

-- users_history, for the users this run's events name, giving the rows
-- sql/transform/users_history.sql gives. Two cases, told apart by user_latest as the last run
-- left it (this runs before users updates it):
-- * all of a user's new events come after their latest earlier event (a new day, the usual
--   case): the new events are merged into the open period. Its level and the new instants'
--   levels in time order give the changes; the open period is closed at the first one and
--   each change opens a period. Only the new events are read.
-- * one of them is no later (a late day, a file loaded out of order, an event at the instant
--   of an earlier one): it can split, join or move periods anywhere in the user's history, so
--   that user's periods are computed again from all their staged events, as the rebuild does.
DELETE FROM history_users;
INSERT INTO history_users (user_id, late)
SELECT n.userid, MAX(CASE WHEN n.ts <= l.ts THEN 1 ELSE 0 END)
FROM staging_events_new n
LEFT JOIN user_latest l ON l.userid = n.userid
WHERE n.userid IS NOT NULL
GROUP BY n.userid;
-- Late users: computed again.
DELETE FROM users_history
WHERE user_id IN (SELECT user_id FROM history_users WHERE late = 1);
INSERT INTO users_history (user_id, level, valid_from, valid_to, is_current)
SELECT userid, level, valid_from,
       LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from),
       CASE WHEN LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from) IS NULL
            THEN TRUE ELSE FALSE END
FROM (
    SELECT userid, level, sparkify_epoch_ms(ts) AS valid_from,
           LAG(level) OVER (PARTITION BY userid ORDER BY ts) AS previous
    FROM (
        SELECT userid, ts, level,
               ROW_NUMBER() OVER (
                   PARTITION BY userid, ts
                   ORDER BY sessionid DESC NULLS LAST, iteminsession DESC NULLS LAST, level
               ) AS pick
        FROM staging_events
        WHERE userid IS NOT NULL AND ts IS NOT NULL AND level IS NOT NULL
          AND userid IN (SELECT user_id FROM history_users WHERE late = 1)
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
-- The others: the open period (if any) and the new instants, in time order; the open period
-- starts before every new instant, and no earlier event shares an instant with a new one.
DELETE FROM history_changes;
INSERT INTO history_changes (user_id, level, valid_from)
SELECT userid, level, valid_from
FROM (
    SELECT userid, level, valid_from, is_open,
           LAG(level) OVER (PARTITION BY userid ORDER BY valid_from) AS previous
    FROM (
        SELECT h.user_id AS userid, h.level, h.valid_from, 1 AS is_open
        FROM users_history h
        JOIN history_users u ON u.user_id = h.user_id AND u.late = 0
        WHERE h.is_current
        UNION ALL
        SELECT userid, level, sparkify_epoch_ms(ts) AS valid_from, 0 AS is_open
        FROM (
            SELECT n.userid, n.ts, n.level,
                   ROW_NUMBER() OVER (
                       PARTITION BY n.userid, n.ts
                       ORDER BY n.sessionid DESC NULLS LAST, n.iteminsession DESC NULLS LAST,
                                n.level
                   ) AS pick
            FROM staging_events_new n
            JOIN history_users u ON u.user_id = n.userid AND u.late = 0
            WHERE n.ts IS NOT NULL AND n.level IS NOT NULL
        ) instants
        WHERE pick = 1
    ) known
) changes
WHERE is_open = 1 OR previous IS NULL OR previous <> level;
DELETE FROM users_history
WHERE is_current AND user_id IN (SELECT user_id FROM history_changes);
INSERT INTO users_history (user_id, level, valid_from, valid_to, is_current)
SELECT user_id, level, valid_from,
       LEAD(valid_from) OVER (PARTITION BY user_id ORDER BY valid_from),
       CASE WHEN LEAD(valid_from) OVER (PARTITION BY user_id ORDER BY valid_from) IS NULL
            THEN TRUE ELSE FALSE END
FROM history_changes;

-- users, from this run's events only: each user they name gets the latest of those events and
-- of the one kept in user_latest, ordered exactly as sql/transform/users.sql orders all events,
-- so the row is the one a rebuild gives.
-- depends: users_history
DELETE FROM user_candidates;
INSERT INTO user_candidates (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM staging_events_new
WHERE userid IS NOT NULL;
INSERT INTO user_candidates (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM user_latest
WHERE userid IN (SELECT userid FROM staging_events_new);
DELETE FROM user_latest WHERE userid IN (SELECT userid FROM user_candidates);
INSERT INTO user_latest (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM (
    SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession,
           ROW_NUMBER() OVER (
               PARTITION BY userid
               ORDER BY ts DESC NULLS LAST, sessionid DESC NULLS LAST,
                        iteminsession DESC NULLS LAST, level NULLS LAST,
                        firstname NULLS LAST, lastname NULLS LAST, gender NULLS LAST
           ) AS pick
    FROM user_candidates
) ranked
WHERE pick = 1;
DELETE FROM users WHERE user_id IN (SELECT userid FROM user_candidates);
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM user_latest
WHERE userid IN (SELECT userid FROM user_candidates);

-- songplays, from this run's rows only. A play is found again by its time and user (songplays
-- keeps no item number), so the unit of work is a (ts, user) pair: every pair of a NextSong
-- event this run staged, and every pair of an earlier play whose title, artist and length a
-- song record of this run has (it may match now, or match a lower song_id). The plays of those
-- pairs are computed again from all staged events exactly as sql/transform/songplays.sql
-- computes them (an event staged twice stays one play, the same copy wins, the same song
-- matches), and replace the pairs' rows.
-- depends: songs, artists, users
DELETE FROM changed_plays;
INSERT INTO changed_plays (ts, start_time, user_id)
SELECT ts, sparkify_epoch_ms(ts), userid
FROM (
    SELECT ts, userid FROM staging_events_new
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
    UNION
    SELECT e.ts, e.userid
    FROM staging_events e
    JOIN (SELECT DISTINCT title, artist_name, duration FROM staging_songs_new
          WHERE song_id IS NOT NULL) arrived
        ON arrived.title = e.song
       AND arrived.artist_name = e.artist
       AND arrived.duration = e.length
    WHERE e.page = 'NextSong' AND e.ts IS NOT NULL AND e.userid IS NOT NULL
) pairs;
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

-- time, from this run's plays only: the start times of the pairs songplays computed again that
-- time does not hold yet (a play is never removed, so no row goes).
-- depends: songplays
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(EXTRACT(HOUR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DAY FROM start_time) AS INTEGER),
       CAST(EXTRACT(WEEK FROM start_time) AS INTEGER),
       CAST(EXTRACT(MONTH FROM start_time) AS INTEGER),
       CAST(EXTRACT(YEAR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DOW FROM start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM changed_plays) played
WHERE NOT EXISTS (SELECT 1 FROM time t WHERE t.start_time = played.start_time);

