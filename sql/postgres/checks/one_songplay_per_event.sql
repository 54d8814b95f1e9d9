-- rule: one songplay per NextSong event
-- tables: songplays
-- sql/checks/one_songplay_per_event.sql for PostgreSQL: the same count of distinct events, by
-- a sort on both cores. On the common text PostgreSQL hashes the 8.3M events of a 10M-event
-- load into a table far over work_mem and spills it in 641 batches (6.6 s); DISTINCT ON
-- always sorts, but on one core (4.3 s). GROUP BY with the ORDER BY of its own keys is sorted
-- too, and that sort runs in parallel workers, each grouping its share before the merge:
-- 3.1-3.5 s against 3.9-4.2 s for DISTINCT ON, alternating at 10M events (BENCHMARKS.md,
-- 2026-12-05, afternoon). Like DISTINCT, GROUP BY takes NULL sessions and items as equal.
SELECT ABS((SELECT COUNT(*) FROM songplays) - (SELECT COUNT(*) FROM (
    SELECT 1 FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
    GROUP BY userid, sessionid, iteminsession, ts
    ORDER BY userid, sessionid, iteminsession, ts) events))
