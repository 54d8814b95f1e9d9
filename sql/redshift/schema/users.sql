-- users (Redshift): small, so a copy on every node (DISTSTYLE ALL) makes every join local.
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
