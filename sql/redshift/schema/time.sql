-- time (Redshift): one row per play time at most; DISTSTYLE ALL, sorted like songplays.
CREATE TABLE IF NOT EXISTS time (
    start_time  TIMESTAMP NOT NULL,
    hour        INTEGER,
    day         INTEGER,
    week        INTEGER,
    month       INTEGER,
    year        INTEGER,
    weekday     INTEGER,
    PRIMARY KEY (start_time)
)
DISTSTYLE ALL
SORTKEY (start_time);
