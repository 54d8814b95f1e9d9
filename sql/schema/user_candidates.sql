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
);
