-- sparkify --dry-run: the statements for redshift://awsuser@sparkify-dwh.c1x2y3z4.us-west-2.redshift.amazonaws.com:5439/sparkify, in order; nothing was sent

BEGIN TRANSACTION;

DROP TABLE IF EXISTS time;
DROP TABLE IF EXISTS songplays;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS users_history;
DROP TABLE IF EXISTS artists;
DROP TABLE IF EXISTS songs;
DROP TABLE IF EXISTS transform_state;
DROP TABLE IF EXISTS history_changes;
DROP TABLE IF EXISTS history_users;
DROP TABLE IF EXISTS replaced_plays;
DROP TABLE IF EXISTS changed_plays;
DROP TABLE IF EXISTS user_candidates;
DROP TABLE IF EXISTS user_latest;
DROP TABLE IF EXISTS staging_songs_new;
DROP TABLE IF EXISTS staging_events_new;
DROP TABLE IF EXISTS audit_state;
DROP TABLE IF EXISTS runs;
DROP TABLE IF EXISTS audit_failures;
DROP TABLE IF EXISTS load_ledger;
DROP TABLE IF EXISTS load_errors;
DROP TABLE IF EXISTS staging_songs;
DROP TABLE IF EXISTS staging_events;
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

COMMIT;

