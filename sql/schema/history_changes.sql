-- history_changes: scratch of an incremental run: for the users whose new events all come after
-- their earlier ones, the open period and the periods those events start, which replace the
-- open period. Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS history_changes (
    user_id     INTEGER NOT NULL,
    level       VARCHAR(16) NOT NULL,
    valid_from  TIMESTAMP NOT NULL
);
