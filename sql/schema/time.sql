-- time (dimension): one row per distinct songplays.start_time, broken into calendar units.
-- weekday counts from 0 = Sunday; week is the ISO week.
-- check: unique start_time
-- check: not_null start_time, hour, day, week, month, year, weekday
-- changed: start_time IN (SELECT start_time FROM changed_plays)
-- On Redshift one row per play time at most: a copy on every node, sorted like songplays.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (start_time)
-- The calendar units are NOT NULL, as they are of a NOT NULL start_time: PostgreSQL then keeps
-- the not_null rules true on every write, and the checks trust them instead of reading 8.3M
-- rows six times (about 1 s of a 10M run; sql/bookkeeping/postgres_not_null_holds.sql).
CREATE TABLE IF NOT EXISTS time (
    start_time  TIMESTAMP NOT NULL,
    hour        INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    week        INTEGER NOT NULL,
    month       INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    weekday     INTEGER NOT NULL,
    PRIMARY KEY (start_time)
);
