-- time: one row per distinct start_time of songplays. weekday: 0 = Sunday.
-- depends: songplays
-- As sql/transform/time.sql, with the rows inserted in key order: PostgreSQL then adds each to
-- the right edge of time's primary-key B-tree instead of a random leaf (measured at 1M plays:
-- this statement 11.5 s → 5.4 s). The calendar units come from date_part, which answers a
-- double, rather than EXTRACT, which since PostgreSQL 14 answers a NUMERIC and costs twice as
-- much to compute and cast: 2.1 s → 1.1 s for the six units of 8.3M times, the same integers
-- for every one of them (BENCHMARKS.md 2026-12-03, before midnight).
DELETE FROM time;
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(date_part('hour', start_time) AS INTEGER),
       CAST(date_part('day', start_time) AS INTEGER),
       CAST(date_part('week', start_time) AS INTEGER),
       CAST(date_part('month', start_time) AS INTEGER),
       CAST(date_part('year', start_time) AS INTEGER),
       CAST(date_part('dow', start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM songplays) played
ORDER BY start_time;
