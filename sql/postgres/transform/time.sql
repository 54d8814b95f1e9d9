-- time: one row per distinct start_time of songplays. weekday: 0 = Sunday.
-- depends: songplays
-- As sql/transform/time.sql, with the rows inserted in key order: PostgreSQL then adds each to
-- the right edge of time's primary-key B-tree instead of a random leaf (measured at 1M plays:
-- this statement 11.5 s → 5.4 s). The calendar units come from date_part, which answers a
-- double, rather than EXTRACT, which since PostgreSQL 14 answers a NUMERIC and costs twice as
-- much to compute and cast: 2.1 s → 1.1 s for the six units of 8.3M times, the same integers
-- for every one of them (BENCHMARKS.md 2026-12-03, before midnight).
-- The distinct times come from DISTINCT ON, which PostgreSQL always answers with one sort, and
-- that sort is also the order of the insert. A plain DISTINCT is planned from statistics, and
-- songplays, written moments ago in this run, has none: the planner guessed 200 start times,
-- hashed 8.3M of them in 453 batches on disk, then sorted them again for the ORDER BY. At 10M
-- events: 16.2-16.6 s -> 9.3-10.0 s, alone in rolled-back transactions on a server holding
-- the 10M warehouse (BENCHMARKS.md 2026-12-04, late evening).
DELETE FROM time;
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(date_part('hour', start_time) AS INTEGER),
       CAST(date_part('day', start_time) AS INTEGER),
       CAST(date_part('week', start_time) AS INTEGER),
       CAST(date_part('month', start_time) AS INTEGER),
       CAST(date_part('year', start_time) AS INTEGER),
       CAST(date_part('dow', start_time) AS INTEGER)
FROM (SELECT DISTINCT ON (start_time) start_time FROM songplays ORDER BY start_time) played
ORDER BY start_time;
