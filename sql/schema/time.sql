-- time (dimension): one row per distinct songplays.start_time, broken into calendar units.
-- weekday counts from 0 = Sunday; week is the ISO week.
-- check: unique start_time
-- check: not_null start_time, hour, day, week, month, year, weekday
-- changed: start_time IN (SELECT start_time FROM changed_plays)
-- On Redshift one row per play time at most: a copy on every node, sorted like songplays.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (start_time)
CREATE TABLE IF NOT EXISTS time (
    start_time  TIMESTAMP NOT NULL,
    hour        INTEGER,
    day         INTEGER,
    week        INTEGER,
    month       INTEGER,
    year        INTEGER,
    weekday     INTEGER,
    PRIMARY KEY (start_time)
);
