-- rule: one songplay per NextSong event
-- tables: songplays
-- sql/checks/one_songplay_per_event.sql for DuckDB: the same count of distinct events, as one
-- COUNT(DISTINCT) of each event's key as a row. DuckDB counts those in one aggregate where
-- the common text builds the distinct rows first: 0.36-0.38 s against 0.49-0.60 s on the 8.3M
-- NextSong events of a 10M-event load (BENCHMARKS.md, 2026-12-05). A row is never NULL, and
-- two rows whose session or item is NULL in the same place are one key, as in DISTINCT.
SELECT ABS((SELECT COUNT(*) FROM songplays) - (
    SELECT COUNT(DISTINCT (userid, sessionid, iteminsession, ts)) FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL))
