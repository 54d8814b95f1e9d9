-- songs: one row per song_id. When several records share an id, the first by
-- (title, artist_id, year, duration) wins, so every engine picks the same one.
DELETE FROM songs;
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
) ranked
WHERE pick = 1;

-- artists: one row per artist_id. Records of the same artist can disagree (one song file has
-- coordinates, another not): prefer the most complete record, then the first name
-- alphabetically, then the lowest song_id, so the choice is deterministic.
DELETE FROM artists;
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
) ranked
WHERE pick = 1;

-- users_history: each user's level over time, rebuilt from every staged event with a userId, a
-- time and a level (an event without one of them says nothing about who had which level when).
-- One level per instant: of a user's events at the same ts, the one users would take as the
-- latest (sql/transform/users.sql: highest sessionid, then itemInSession, then the first level
-- alphabetically) gives the level at that instant, so the current period's level is always
-- users.level and a period never starts and ends at the same time. Then each change of level
-- between consecutive instants starts a period, and the next change ends it; flapping
-- (free -> paid -> free) is one period per stretch. An event repeated in the logs changes
-- nothing.
-- A user whose events all have one level has one period, from their first instant: only the
-- events at that instant are ranked for them, and all the events of users whose level changed
-- (at 10M events on DuckDB 1.0 s instead of 2.6 s, the same 61,181 rows; those users hold a
-- fifth of the events).
DELETE FROM users_history;
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
        FROM staging_events e
        JOIN (
            SELECT userid AS level_user, MIN(level) AS lowest, MAX(level) AS highest,
                   MIN(ts) AS first_ts
            FROM staging_events
            WHERE userid IS NOT NULL AND ts IS NOT NULL AND level IS NOT NULL
            GROUP BY userid
        ) levels
          ON e.userid = levels.level_user
         AND (levels.lowest <> levels.highest OR e.ts = levels.first_ts)
        WHERE e.ts IS NOT NULL AND e.level IS NOT NULL
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;

-- users: one row per non-empty userId in the logs (all pages, not only NextSong), carrying the
-- attributes of the user's latest event, so `level` is the current subscription level.
-- The latest event is kept in user_latest with the columns that order events, so an incremental
-- run (sql/incremental/users.sql) compares a user's new events with it alone. The order goes on
-- to every column taken, so the pick is the same whatever order the rows come in.
-- depends: users_history
-- The rebuild needs nothing first; an incremental run's users_history compares the run's events
-- with user_latest as the last run left it (sql/incremental/users_history.sql), so it goes
-- before users updates user_latest.
-- The latest event has the user's latest ts (or no ts, when none of the user's events has one),
-- so only the events at that ts are ranked: a join with each user's MAX(ts) instead of a sort
-- of every event (at 10M events on DuckDB 0.23 s instead of 2.26 s, the same rows).
DELETE FROM user_latest;
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
    FROM staging_events e
    JOIN (
        SELECT userid AS latest_user, MAX(ts) AS latest_ts
        FROM staging_events
        WHERE userid IS NOT NULL
        GROUP BY userid
    ) latest
      ON e.userid = latest.latest_user
     AND (e.ts = latest.latest_ts OR latest.latest_ts IS NULL)
) ranked
WHERE pick = 1;
DELETE FROM users;
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM user_latest;

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

-- time: one row per distinct start_time of songplays. weekday: 0 = Sunday.
-- depends: songplays
DELETE FROM time;
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(EXTRACT(HOUR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DAY FROM start_time) AS INTEGER),
       CAST(EXTRACT(WEEK FROM start_time) AS INTEGER),
       CAST(EXTRACT(MONTH FROM start_time) AS INTEGER),
       CAST(EXTRACT(YEAR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DOW FROM start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM songplays) played;

