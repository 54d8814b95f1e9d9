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
);
