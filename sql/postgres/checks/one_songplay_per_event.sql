-- rule: one songplay per NextSong event
-- tables: songplays
-- sql/checks/one_songplay_per_event.sql for PostgreSQL: the same count of distinct events, by
-- a sort. On the common text PostgreSQL hashes the 8.3M events of a 10M-event load into a
-- table far over work_mem and spills it in 641 batches (6.6 s); DISTINCT ON always sorts
-- (4.3 s). Like DISTINCT, DISTINCT ON takes NULL sessions and items as equal.
SELECT ABS((SELECT COUNT(*) FROM songplays) - (SELECT COUNT(*) FROM (
    SELECT DISTINCT ON (userid, sessionid, iteminsession, ts) userid FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
    ORDER BY userid, sessionid, iteminsession, ts) events))
