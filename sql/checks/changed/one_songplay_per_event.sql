-- rule: one songplay per NextSong event
-- tables: songplays
-- ../one_songplay_per_event.sql for an incremental run whose warehouse passed it before: the
-- plays and the distinct NextSong events in the stretch of time the run computed again
-- (changed_plays; start_time is sparkify_epoch_ms(ts), one to one and in the same order).
-- Plays outside it did not change and events are only ever added, so the rule holds for the
-- whole table when it holds here.
SELECT ABS((SELECT COUNT(*) FROM songplays
            WHERE start_time BETWEEN (SELECT MIN(start_time) FROM changed_plays)
                                 AND (SELECT MAX(start_time) FROM changed_plays)) - (SELECT COUNT(*) FROM (
    SELECT DISTINCT userid, sessionid, iteminsession, ts FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
      AND ts BETWEEN (SELECT MIN(ts) FROM changed_plays) AND (SELECT MAX(ts) FROM changed_plays)) events))
