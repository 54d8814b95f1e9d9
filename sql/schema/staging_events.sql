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
);
