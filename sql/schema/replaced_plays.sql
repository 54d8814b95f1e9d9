-- replaced_plays: scratch of an incremental run: the songplays rows of changed_plays' pairs
-- before they are computed again, whose songplay_id values the new rows keep. Empty between
-- runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS replaced_plays (
    start_time   TIMESTAMP NOT NULL,
    user_id      INTEGER NOT NULL,
    songplay_id  BIGINT NOT NULL
);
