-- sparkify --dry-run: the statements for redshift://awsuser@sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com:5439/sparkify, in order; nothing was sent

BEGIN TRANSACTION;

-- Helpers the transforms call, defined per dialect so the transforms themselves stay common.
-- sparkify_epoch_ms: epoch milliseconds (the logs' ts) -> TIMESTAMP in UTC, keeping the
-- milliseconds (the seed's `ts / 1000 * INTERVAL '1 second'` drops them).
CREATE OR REPLACE FUNCTION sparkify_epoch_ms(BIGINT) RETURNS TIMESTAMP
    IMMUTABLE
    AS $$ SELECT TIMESTAMP 'epoch' + $1 / 1000.0 * INTERVAL '1 second' $$
    LANGUAGE sql;

-- staging_events: the event logs as loaded, one row per JSON record.
-- Columns follow log_json_path.json position by position (a JSONPaths COPY maps by position).
-- Names are the JSON keys folded to lower case, as Redshift folds identifiers, so that
-- COPY ... JSON 'auto ignorecase' also fills them while plain 'auto' does not.
-- On Redshift staging is read once by the transforms and joined to nothing by key, so rows are
-- spread evenly.
-- redshift: DISTSTYLE EVEN
-- The newest event must be about as new as the newest log file's name says (and, when the
-- thresholds are set, as now); a day with far fewer events than the days around it warns.
-- check: freshness ts
-- check: warn volume ts
CREATE TABLE IF NOT EXISTS staging_events (
    artist          VARCHAR(512),
    auth            VARCHAR(32),
    firstname       VARCHAR(256),
    gender          VARCHAR(16),
    iteminsession   INTEGER,
    lastname        VARCHAR(256),
    length          DOUBLE PRECISION,
    level           VARCHAR(16),
    location        VARCHAR(512),
    method          VARCHAR(16),
    page            VARCHAR(64),
    registration    DOUBLE PRECISION,  -- written as a float in the logs (1540919166796.0)
    sessionid       INTEGER,
    song            VARCHAR(512),
    status          SMALLINT,
    ts              BIGINT,            -- epoch milliseconds, UTC
    useragent       VARCHAR(1024),
    userid          INTEGER            -- a JSON string; "" for logged-out users loads NULL
)
DISTSTYLE EVEN;

-- staging_songs: the song metadata as loaded, one row per JSON record (one file per song).
-- Column names equal the JSON keys, so COPY ... JSON 'auto' fills them.
-- On Redshift spread evenly, like the events.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS staging_songs (
    num_songs        INTEGER,
    artist_id        VARCHAR(32),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    artist_location  VARCHAR(512),
    artist_name      VARCHAR(512),
    song_id          VARCHAR(32),
    title            VARCHAR(512),
    duration         DOUBLE PRECISION,
    year             INTEGER
)
DISTSTYLE EVEN;

-- load_errors: every row a load rejected, like Redshift's STL_LOAD_ERRORS.
-- Kept even when a load fails for exceeding --max-errors, so the cause can be found.
CREATE TABLE IF NOT EXISTS load_errors (
    table_name   VARCHAR(128) NOT NULL,
    file         VARCHAR(2048) NOT NULL,
    line         BIGINT NOT NULL,
    column_name  VARCHAR(128),
    column_type  VARCHAR(64),
    raw_value    VARCHAR(1024),
    raw_line     VARCHAR(4096),
    reason       VARCHAR(1024) NOT NULL,
    logged_at    TIMESTAMP NOT NULL
);

-- load_ledger: one row per file loaded into a staging table, written in the same transaction
-- as the file's rows, so rows never exist without their ledger entry or the reverse.
-- check: unique table_name, file
-- check: not_null table_name, file, rows_read, rows_loaded, rows_rejected
CREATE TABLE IF NOT EXISTS load_ledger (
    table_name     VARCHAR(128) NOT NULL,
    file           VARCHAR(2048) NOT NULL,
    size_bytes     BIGINT NOT NULL,
    version        VARCHAR(256),
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    loaded_at      TIMESTAMP NOT NULL
);

-- audit_failures: the data-quality rules the last audited run failed, with up to 20 sample rows
-- each (one row per sample; sample is NULL for a rule that counts rather than lists rows).
-- Written on its own after a run that was not published, or with the run published anyway;
-- a run whose checks pass empties it.
CREATE TABLE IF NOT EXISTS audit_failures (
    table_name   VARCHAR(128) NOT NULL,
    rule         VARCHAR(256) NOT NULL,
    violations   BIGINT NOT NULL,
    sample       VARCHAR(4096),
    recorded_at  TIMESTAMP NOT NULL
);

-- runs: one row per `run` or `etl`, the run history. A run that publishes writes its row in
-- its own transaction, so the row exists exactly when the run was committed; a run that was
-- rolled back (checks failed, a rejected load, an error, Ctrl-C) writes its row afterwards in a
-- transaction of its own, as audit_failures and load_errors are kept. Counts are what the run
-- staged, also when it was rolled back; checks_* are NULL for `etl`, which does not audit.
-- status: published, checks_failed, rejected_load, error or interrupted.
-- build: incremental or rebuild (NULL when the run failed before deciding), rebuild_reason why.
CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR(64) NOT NULL,
    command           VARCHAR(16) NOT NULL,
    status            VARCHAR(32) NOT NULL,
    started           TIMESTAMP NOT NULL,
    finished          TIMESTAMP NOT NULL,
    build             VARCHAR(16),
    rebuild_reason    VARCHAR(1024),
    files_staged      BIGINT NOT NULL,
    rows_staged       BIGINT NOT NULL,
    rows_rejected     BIGINT NOT NULL,
    checks_passed     INTEGER,
    checks_failed     INTEGER,
    checks_warned     INTEGER,
    sparkify_version  VARCHAR(64) NOT NULL,
    engine            VARCHAR(16) NOT NULL,
    error             VARCHAR(4096)
);

-- audit_state: one row while the star schema and staging, as they stand, passed every check
-- of the audited run that built them (when it passed). Every build empties it first (and so
-- does staging on its own), and only a run whose checks all pass writes it again: so an
-- incremental run may check only the rows it changed (the rest passed and did not change)
-- exactly when this table holds a row.
CREATE TABLE IF NOT EXISTS audit_state (
    passed_at  TIMESTAMP NOT NULL
);

-- staging_events_new: the rows this run staged into staging_events, until the star schema has been
-- updated from them (then they move to staging_events). Empty between runs. Same columns as
-- staging_events, in the same order (a test keeps them equal).
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS staging_events_new (
    artist          VARCHAR(512),
    auth            VARCHAR(32),
    firstname       VARCHAR(256),
    gender          VARCHAR(16),
    iteminsession   INTEGER,
    lastname        VARCHAR(256),
    length          DOUBLE PRECISION,
    level           VARCHAR(16),
    location        VARCHAR(512),
    method          VARCHAR(16),
    page            VARCHAR(64),
    registration    DOUBLE PRECISION,  -- written as a float in the logs (1540919166796.0)
    sessionid       INTEGER,
    song            VARCHAR(512),
    status          SMALLINT,
    ts              BIGINT,            -- epoch milliseconds, UTC
    useragent       VARCHAR(1024),
    userid          INTEGER            -- a JSON string; "" for logged-out users loads NULL
)
DISTSTYLE EVEN;

-- staging_songs_new: the rows this run staged into staging_songs, until the star schema has been
-- updated from them (then they move to staging_songs). Empty between runs. Same columns as
-- staging_songs, in the same order (a test keeps them equal).
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS staging_songs_new (
    num_songs        INTEGER,
    artist_id        VARCHAR(32),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    artist_location  VARCHAR(512),
    artist_name      VARCHAR(512),
    song_id          VARCHAR(32),
    title            VARCHAR(512),
    duration         DOUBLE PRECISION,
    year             INTEGER
)
DISTSTYLE EVEN;

-- user_latest: each user's latest event, the one users takes its row from, with the columns that
-- order events (ts, sessionid, iteminsession), so a later run compares a user's new events
-- with this one row instead of reading all their earlier events again.
-- check: unique userid
-- changed: userid IN (SELECT userid FROM user_candidates)
-- On Redshift small, like users.
-- redshift: DISTSTYLE ALL
CREATE TABLE IF NOT EXISTS user_latest (
    userid         INTEGER NOT NULL,
    firstname      VARCHAR(256),
    lastname       VARCHAR(256),
    gender         VARCHAR(16),
    level          VARCHAR(16),
    ts             BIGINT,
    sessionid      INTEGER,
    iteminsession  INTEGER
)
DISTSTYLE ALL;

-- user_candidates: scratch of an incremental run: the events that may become a user's latest
-- (this run's, and the one kept in user_latest). Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS user_candidates (
    userid         INTEGER NOT NULL,
    firstname      VARCHAR(256),
    lastname       VARCHAR(256),
    gender         VARCHAR(16),
    level          VARCHAR(16),
    ts             BIGINT,
    sessionid      INTEGER,
    iteminsession  INTEGER
)
DISTSTYLE EVEN;

-- changed_plays: scratch of an incremental run: the (time, user) pairs whose plays it adds or
-- re-matches; songplays' rows of those pairs are computed again. Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS changed_plays (
    ts          BIGINT NOT NULL,
    start_time  TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL
)
DISTSTYLE EVEN;

-- replaced_plays: scratch of an incremental run: the songplays rows of changed_plays' pairs
-- before they are computed again, whose songplay_id values the new rows keep. Empty between
-- runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS replaced_plays (
    start_time   TIMESTAMP NOT NULL,
    user_id      INTEGER NOT NULL,
    songplay_id  BIGINT NOT NULL
)
DISTSTYLE EVEN;

-- history_users: scratch of an incremental run: each user its new events name, and whether one
-- of those events is no later than the user's latest earlier event (late = 1: their periods
-- are computed again from all their events) or all are later (late = 0: merged into the open
-- period). Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS history_users (
    user_id  INTEGER NOT NULL,
    late     INTEGER NOT NULL
)
DISTSTYLE EVEN;

-- history_changes: scratch of an incremental run: for the users whose new events all come after
-- their earlier ones, the open period and the periods those events start, which replace the
-- open period. Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS history_changes (
    user_id     INTEGER NOT NULL,
    level       VARCHAR(16) NOT NULL,
    valid_from  TIMESTAMP NOT NULL
)
DISTSTYLE EVEN;

-- transform_state: what built the star schema: a hash of the transform SQL, the sparkify
-- version and when. A run whose transform SQL hashes otherwise (another sparkify version)
-- rebuilds the star schema instead of updating it; no row means it must be rebuilt too.
CREATE TABLE IF NOT EXISTS transform_state (
    transform_hash    VARCHAR(64) NOT NULL,
    sparkify_version  VARCHAR(64) NOT NULL,
    built_at          TIMESTAMP NOT NULL
);

-- songs (dimension): one row per song_id in the catalogue.
-- check: unique song_id
-- check: not_null song_id, title
-- check: expect duration > 0
-- check: warn expect year BETWEEN 1900 AND CAST(:'next_year' AS INTEGER)
-- changed: song_id IN (SELECT song_id FROM staging_songs_new)
-- On Redshift the largest dimension, distributed on song_id like songplays so their join needs
-- no data movement.
-- redshift: DISTKEY (song_id)
-- redshift: SORTKEY (song_id)
CREATE TABLE IF NOT EXISTS songs (
    song_id    VARCHAR(32) NOT NULL,
    title      VARCHAR(512),
    artist_id  VARCHAR(32),
    year       INTEGER,           -- NULL where the catalogue says 0 (unknown)
    duration   DOUBLE PRECISION,
    PRIMARY KEY (song_id)
)
DISTKEY (song_id)
SORTKEY (song_id);

-- artists (dimension): one row per artist_id in the catalogue.
-- check: unique artist_id
-- check: not_null artist_id, name
-- changed: artist_id IN (SELECT artist_id FROM staging_songs_new)
-- On Redshift small: a copy on every node.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (artist_id)
CREATE TABLE IF NOT EXISTS artists (
    artist_id  VARCHAR(32) NOT NULL,
    name       VARCHAR(512),
    location   VARCHAR(512),      -- NULL where the catalogue has an empty string
    latitude   DOUBLE PRECISION,
    longitude  DOUBLE PRECISION,
    PRIMARY KEY (artist_id)
)
DISTSTYLE ALL
SORTKEY (artist_id);

-- users_history (dimension, SCD type 2): each user's subscription level over time, one row per
-- user per maximal period at one level, from every event with a userId (every page, not only
-- NextSong). A period is half-open, [valid_from, valid_to): valid_from is the time of the first
-- event seen at its level, valid_to the time of the first event seen at the next level (the
-- change happened somewhere between the two events; the logs cannot say where), NULL while
-- the period is current. A user who goes back to a level gets a new period, so free -> paid ->
-- free is three rows. sql/transform/users_history.sql says how events at the same time count.
-- check: unique user_id, valid_from
-- check: not_null user_id, level, valid_from, is_current
-- check: accepted_values level free, paid
-- check: references user_id users.user_id
-- check: expect valid_to > valid_from
-- check: expect is_current = CASE WHEN valid_to IS NULL THEN TRUE ELSE FALSE END
-- check: no_rows users_history_one_current
-- check: no_rows users_history_overlaps
-- check: no_rows users_history_contiguous
-- check: no_rows users_history_current_is_users_level
-- On Redshift a few rows per user, so small like users: a copy on every node, and sorted the way
-- a point-in-time lookup (a user, then a time) reads it.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (user_id, valid_from)
CREATE TABLE IF NOT EXISTS users_history (
    user_id     INTEGER NOT NULL,
    level       VARCHAR(16) NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    valid_to    TIMESTAMP,
    is_current  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, valid_from)
)
DISTSTYLE ALL
SORTKEY (user_id, valid_from);

-- users (dimension): one row per user seen in the logs, with the level of their latest event.
-- check: unique user_id
-- check: not_null user_id, level
-- check: accepted_values level free, paid
-- check: warn accepted_values gender F, M
-- changed: user_id IN (SELECT userid FROM user_candidates)
-- On Redshift small, so a copy on every node (DISTSTYLE ALL) makes every join local.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (user_id)
CREATE TABLE IF NOT EXISTS users (
    user_id     INTEGER NOT NULL,
    first_name  VARCHAR(256),
    last_name   VARCHAR(256),
    gender      VARCHAR(16),
    level       VARCHAR(16),
    PRIMARY KEY (user_id)
)
DISTSTYLE ALL
SORTKEY (user_id);

-- songplays (fact): one row per NextSong event, matched to the song catalogue on
-- song title + artist name + duration; song_id and artist_id stay NULL when nothing matches.
-- check: unique songplay_id
-- check: not_null songplay_id, start_time, user_id
-- check: references user_id users.user_id
-- check: references song_id songs.song_id
-- check: references artist_id artists.artist_id
-- check: references start_time time.start_time
-- check: accepted_values level free, paid
-- check: no_rows songplays_level_in_history
-- check: warn expect start_time <= CAST(:'now' AS TIMESTAMP)
-- An incremental run computes again the plays of the (time, user) pairs in changed_plays.
-- changed: start_time IN (SELECT start_time FROM changed_plays)
-- On Redshift the fact table is distributed on song_id, the join key to its largest dimension
-- (songs), so that join is node-local; sorted by start_time because analysts filter by time
-- first. songplay_id is an IDENTITY column, GENERATED BY DEFAULT so the shared transform can
-- still number plays in time order, identically on every engine.
-- redshift: DISTKEY (song_id)
-- redshift: SORTKEY (start_time)
-- redshift: songplay_id GENERATED BY DEFAULT AS IDENTITY(1, 1)
CREATE TABLE IF NOT EXISTS songplays (
    songplay_id  BIGINT GENERATED BY DEFAULT AS IDENTITY(1, 1) NOT NULL,
    start_time   TIMESTAMP NOT NULL,
    user_id      INTEGER NOT NULL,
    level        VARCHAR(16),
    song_id      VARCHAR(32),
    artist_id    VARCHAR(32),
    session_id   INTEGER,
    location     VARCHAR(512),
    user_agent   VARCHAR(1024),
    PRIMARY KEY (songplay_id)
)
DISTKEY (song_id)
SORTKEY (start_time);

-- time (dimension): one row per distinct songplays.start_time, broken into calendar units.
-- weekday counts from 0 = Sunday; week is the ISO week.
-- check: unique start_time
-- check: not_null start_time, hour, day, week, month, year, weekday
-- changed: start_time IN (SELECT start_time FROM changed_plays)
-- On Redshift one row per play time at most: a copy on every node, sorted like songplays.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (start_time)
-- The calendar units are NOT NULL, as they are of a NOT NULL start_time: PostgreSQL then keeps
-- the not_null rules true on every write, and the checks trust them instead of reading 8.3M
-- rows six times (about 1 s of a 10M run; sql/bookkeeping/postgres_not_null_holds.sql).
CREATE TABLE IF NOT EXISTS time (
    start_time  TIMESTAMP NOT NULL,
    hour        INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    week        INTEGER NOT NULL,
    month       INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    weekday     INTEGER NOT NULL,
    PRIMARY KEY (start_time)
)
DISTSTYLE ALL
SORTKEY (start_time);

LOCK load_ledger;

DELETE FROM staging_events;

DELETE FROM load_ledger WHERE table_name = $1;
--   $1 = "staging_events"

DELETE FROM load_errors WHERE table_name = $1;
--   $1 = "staging_events"

COPY staging_events
FROM 's3://udacity-dend/log_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 's3://udacity-dend/log_json_path.json'
MAXERROR 10
COMPUPDATE OFF
STATUPDATE OFF;

SELECT TRIM(file_name), SUM(lines_scanned), SUM(bytes_scanned)
FROM sys_load_detail
WHERE query_id = pg_last_copy_id()
GROUP BY 1
ORDER BY 1;

SELECT TRIM(file_name), line_number, TRIM(column_name), TRIM(column_type),
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
       TRIM(error_message) || ' (load error ' || CAST(error_code AS VARCHAR) || ')'
FROM sys_load_error_detail
WHERE query_id = pg_last_copy_id()
ORDER BY 1, 2;

-- then one load_ledger row per file and one load_errors row per rejected row that this COPY's load history lists, inserted into staging_events's bookkeeping

DELETE FROM load_errors WHERE table_name = $1
   AND file NOT IN (SELECT file FROM load_ledger WHERE table_name = $2);
--   $1 = "staging_events"
--   $2 = "staging_events"

DELETE FROM staging_songs;

DELETE FROM load_ledger WHERE table_name = $1;
--   $1 = "staging_songs"

DELETE FROM load_errors WHERE table_name = $1;
--   $1 = "staging_songs"

COPY staging_songs
FROM 's3://udacity-dend/song_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 'auto'
MAXERROR 10
COMPUPDATE OFF
STATUPDATE OFF;

SELECT TRIM(file_name), SUM(lines_scanned), SUM(bytes_scanned)
FROM sys_load_detail
WHERE query_id = pg_last_copy_id()
GROUP BY 1
ORDER BY 1;

SELECT TRIM(file_name), line_number, TRIM(column_name), TRIM(column_type),
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
       TRIM(error_message) || ' (load error ' || CAST(error_code AS VARCHAR) || ')'
FROM sys_load_error_detail
WHERE query_id = pg_last_copy_id()
ORDER BY 1, 2;

-- then one load_ledger row per file and one load_errors row per rejected row that this COPY's load history lists, inserted into staging_songs's bookkeeping

DELETE FROM load_errors WHERE table_name = $1
   AND file NOT IN (SELECT file FROM load_ledger WHERE table_name = $2);
--   $1 = "staging_songs"
--   $2 = "staging_songs"

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

SELECT COUNT(*) FROM songs;

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

SELECT COUNT(*) FROM artists;

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

SELECT COUNT(*) FROM users_history;

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

SELECT COUNT(*) FROM users;

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

SELECT COUNT(*) FROM songplays;

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

SELECT COUNT(*) FROM time;

DELETE FROM audit_state;

DELETE FROM transform_state;

INSERT INTO transform_state (transform_hash, sparkify_version, built_at)
VALUES ($1, $2, CAST($3 AS TIMESTAMP));
--   $1 = <transform hash>
--   $2 = "0.1.0"
--   $3 = <now>

SELECT CAST((SELECT COUNT(*) FROM (SELECT table_name, file FROM load_ledger GROUP BY table_name, file HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE table_name IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE file IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE rows_read IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE rows_loaded IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE rows_rejected IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT userid FROM user_latest GROUP BY userid HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT song_id FROM songs GROUP BY song_id HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songs WHERE song_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songs WHERE title IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songs WHERE duration IS NOT NULL AND NOT (duration > 0)) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songs WHERE year IS NOT NULL AND NOT (year BETWEEN 1900 AND CAST($1 AS INTEGER))) AS BIGINT);
--   $1 = <next year>

SELECT CAST((SELECT COUNT(*) FROM (SELECT artist_id FROM artists GROUP BY artist_id HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM artists WHERE artist_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM artists WHERE name IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT user_id, valid_from FROM users_history GROUP BY user_id, valid_from HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE user_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE level IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE valid_from IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE is_current IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE level IS NOT NULL AND level NOT IN ($1, $2)) AS BIGINT);
--   $1 = "free"
--   $2 = "paid"

SELECT CAST((SELECT COUNT(*) FROM users_history f LEFT JOIN users d ON d.user_id = f.user_id WHERE f.user_id IS NOT NULL AND d.user_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE valid_to IS NOT NULL AND NOT (valid_to > valid_from)) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users_history WHERE is_current IS NOT NULL AND NOT (is_current = CASE WHEN valid_to IS NULL THEN TRUE ELSE FALSE END)) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT user_id, COUNT(*) AS current_periods
FROM users_history
WHERE is_current
GROUP BY user_id
HAVING COUNT(*) > 1) violations) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT a.user_id, a.level, a.valid_from, a.valid_to,
       b.level AS next_level, b.valid_from AS next_from, b.valid_to AS next_to
FROM users_history a
JOIN users_history b ON b.user_id = a.user_id AND b.valid_from > a.valid_from
WHERE a.valid_to IS NULL OR b.valid_from < a.valid_to) violations) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT a.user_id, a.level, a.valid_from, a.valid_to
FROM users_history a
WHERE a.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM users_history b
                  WHERE b.user_id = a.user_id AND b.valid_from = a.valid_to
                    AND b.level <> a.level)) violations) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT u.user_id, u.level, h.level AS current_period_level, h.valid_from
FROM users u
JOIN user_latest l ON l.userid = u.user_id AND l.ts IS NOT NULL
LEFT JOIN users_history h ON h.user_id = u.user_id AND h.is_current
WHERE u.level IS NOT NULL AND (h.level IS NULL OR h.level <> u.level)) violations) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM (SELECT user_id FROM users GROUP BY user_id HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users WHERE user_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users WHERE level IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM users WHERE level IS NOT NULL AND level NOT IN ($1, $2)) AS BIGINT);
--   $1 = "free"
--   $2 = "paid"

SELECT CAST((SELECT COUNT(*) FROM users WHERE gender IS NOT NULL AND gender NOT IN ($1, $2)) AS BIGINT);
--   $1 = "F"
--   $2 = "M"

SELECT CAST((SELECT COUNT(*) FROM (SELECT songplay_id FROM songplays GROUP BY songplay_id HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays WHERE songplay_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays WHERE start_time IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays WHERE user_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays f LEFT JOIN users d ON d.user_id = f.user_id WHERE f.user_id IS NOT NULL AND d.user_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays f LEFT JOIN songs d ON d.song_id = f.song_id WHERE f.song_id IS NOT NULL AND d.song_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays f LEFT JOIN artists d ON d.artist_id = f.artist_id WHERE f.artist_id IS NOT NULL AND d.artist_id IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays f LEFT JOIN time d ON d.start_time = f.start_time WHERE f.start_time IS NOT NULL AND d.start_time IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays WHERE level IS NOT NULL AND level NOT IN ($1, $2)) AS BIGINT);
--   $1 = "free"
--   $2 = "paid"

SELECT CAST((SELECT COUNT(*) FROM (SELECT p.songplay_id, p.user_id, p.start_time, p.level, h.level AS history_level
FROM songplays p
LEFT JOIN users_history h
    ON h.user_id = p.user_id
   AND h.valid_from <= p.start_time
   AND (h.valid_to IS NULL OR p.start_time < h.valid_to)
WHERE p.level IS NOT NULL AND (h.level IS NULL OR h.level <> p.level)) violations) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM songplays WHERE start_time IS NOT NULL AND NOT (start_time <= CAST($1 AS TIMESTAMP))) AS BIGINT);
--   $1 = <now>

SELECT CAST((SELECT COUNT(*) FROM (SELECT start_time FROM time GROUP BY start_time HAVING COUNT(*) > 1) duplicated) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE start_time IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE hour IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE day IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE week IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE month IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE year IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM time WHERE weekday IS NULL) AS BIGINT);

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE table_name = $1
   AND rows_read <> rows_loaded + rows_rejected) AS BIGINT);
--   $1 = "staging_events"

SELECT CAST((SELECT ABS((SELECT COUNT(*) FROM staging_events) -
           (SELECT COALESCE(SUM(rows_loaded), 0) FROM load_ledger WHERE table_name = $1))) AS BIGINT);
--   $1 = "staging_events"

SELECT CAST((SELECT ABS((SELECT COUNT(*) FROM load_errors WHERE table_name = $1
              AND file IN (SELECT file FROM load_ledger WHERE table_name = $2)) -
           (SELECT COALESCE(SUM(rows_rejected), 0) FROM load_ledger WHERE table_name = $3))) AS BIGINT);
--   $1 = "staging_events"
--   $2 = "staging_events"
--   $3 = "staging_events"

SELECT CAST((SELECT COUNT(*) FROM load_ledger WHERE table_name = $1
   AND rows_read <> rows_loaded + rows_rejected) AS BIGINT);
--   $1 = "staging_songs"

SELECT CAST((SELECT ABS((SELECT COUNT(*) FROM staging_songs) -
           (SELECT COALESCE(SUM(rows_loaded), 0) FROM load_ledger WHERE table_name = $1))) AS BIGINT);
--   $1 = "staging_songs"

SELECT CAST((SELECT ABS((SELECT COUNT(*) FROM load_errors WHERE table_name = $1
              AND file IN (SELECT file FROM load_ledger WHERE table_name = $2)) -
           (SELECT COALESCE(SUM(rows_rejected), 0) FROM load_ledger WHERE table_name = $3))) AS BIGINT);
--   $1 = "staging_songs"
--   $2 = "staging_songs"
--   $3 = "staging_songs"

SELECT CAST((SELECT ABS((SELECT COUNT(*) FROM songplays) - (SELECT COUNT(*) FROM (
    SELECT DISTINCT userid, sessionid, iteminsession, ts FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL) events))) AS BIGINT);

SELECT MAX(ts) FROM staging_events;

SELECT file FROM load_ledger WHERE table_name = $1;
--   $1 = "staging_events"

SELECT CAST(FLOOR(CAST(ts AS DOUBLE PRECISION) / 86400000) AS BIGINT) AS day,
       COUNT(*) AS events
FROM staging_events
WHERE ts IS NOT NULL
GROUP BY 1
ORDER BY 1;

SELECT COUNT(*) AS songplays, COUNT(song_id) AS matched FROM songplays;

SELECT COUNT(*) FROM load_errors e WHERE e.table_name IN ($1, $2) AND NOT EXISTS (
    SELECT 1 FROM load_ledger l WHERE l.table_name = e.table_name AND l.file = e.file);
--   $1 = "staging_events"
--   $2 = "staging_songs"

DELETE FROM audit_failures;

DELETE FROM audit_state;

INSERT INTO audit_state (passed_at) VALUES (CAST($1 AS TIMESTAMP));
--   $1 = <now>

INSERT INTO runs (run_id, command, status, started, finished, build, rebuild_reason, files_staged, rows_staged, rows_rejected, checks_passed, checks_failed, checks_warned, sparkify_version, engine, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);
--   $1 = <run id>
--   $2 = "run"
--   $3 = "published"
--   $4 = <now>
--   $5 = <now>
--   $6 = "rebuild"
--   $7 = "redshift://awsuser@sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com:5439/sparkify: staging is reloaded whole, so the star schema is rebuilt from all staged rows"
--   $8 = 0
--   $9 = 0
--   $10 = 0
--   $11 = 61
--   $12 = 0
--   $13 = 0
--   $14 = "0.1.0"
--   $15 = "redshift"
--   $16 = NULL

COMMIT;

