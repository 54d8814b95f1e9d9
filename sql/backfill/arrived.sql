-- The rows a backfill loaded (still in staging_events_new) reach the star schema too: their
-- users, and the pairs of their plays that the removed rows did not already name.
INSERT INTO user_candidates (userid)
SELECT DISTINCT userid FROM staging_events_new WHERE userid IS NOT NULL;
INSERT INTO changed_plays (ts, start_time, user_id)
SELECT ts, sparkify_epoch_ms(ts), userid
FROM (
    SELECT DISTINCT ts, userid FROM staging_events_new
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
) pairs
WHERE NOT EXISTS (
    SELECT 1 FROM changed_plays c WHERE c.ts = pairs.ts AND c.user_id = pairs.userid
);
