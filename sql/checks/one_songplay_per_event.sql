-- rule: one songplay per NextSong event
-- tables: songplays
-- Every distinct NextSong event with a user and a time became exactly one songplay.
SELECT ABS((SELECT COUNT(*) FROM songplays) - (SELECT COUNT(*) FROM (
    SELECT DISTINCT userid, sessionid, iteminsession, ts FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL) events))
