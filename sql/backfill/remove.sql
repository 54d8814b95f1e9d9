-- A backfill takes the range's rows out of staging_events, first noting what they reach in
-- the star schema: the users they name (whose latest event may have been one of them) in
-- user_candidates, and the (ts, user) pairs of their plays in changed_plays, so both are
-- derived again afterwards. The range is [:'from_ms', :'to_ms') in epoch milliseconds.
DELETE FROM user_candidates;
INSERT INTO user_candidates (userid)
SELECT DISTINCT userid FROM staging_events
WHERE userid IS NOT NULL
  AND ts >= CAST(:'from_ms' AS BIGINT) AND ts < CAST(:'to_ms' AS BIGINT);
DELETE FROM changed_plays;
INSERT INTO changed_plays (ts, start_time, user_id)
SELECT ts, sparkify_epoch_ms(ts), userid
FROM (
    SELECT DISTINCT ts, userid FROM staging_events
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
      AND ts >= CAST(:'from_ms' AS BIGINT) AND ts < CAST(:'to_ms' AS BIGINT)
) pairs;
DELETE FROM staging_events
WHERE ts >= CAST(:'from_ms' AS BIGINT) AND ts < CAST(:'to_ms' AS BIGINT);
