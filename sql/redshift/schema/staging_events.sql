-- staging_events (Redshift): as sql/schema/staging_events.sql. Staging is read once by the
-- transforms and joined to nothing by key, so rows are spread evenly: DISTSTYLE EVEN.
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
    registration    DOUBLE PRECISION,
    sessionid       INTEGER,
    song            VARCHAR(512),
    status          SMALLINT,
    ts              BIGINT,
    useragent       VARCHAR(1024),
    userid          INTEGER
)
DISTSTYLE EVEN;
