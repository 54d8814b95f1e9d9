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
);
