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
);
