-- changed_plays: scratch of an incremental run: the (time, user) pairs whose plays it adds or
-- re-matches; songplays' rows of those pairs are computed again. Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS changed_plays (
    ts          BIGINT NOT NULL,
    start_time  TIMESTAMP NOT NULL,
    user_id     INTEGER NOT NULL
);
