-- users_history after a backfill: every user the removed or the loaded rows name
-- (user_candidates.userid) has their periods computed again from all their staged events,
-- exactly as sql/transform/users_history.sql computes them (a backfill can split, join or move
-- periods anywhere in a user's history, so no merge would do); a user left with no event loses
-- their rows. No other user's rows change.
DELETE FROM users_history WHERE user_id IN (SELECT userid FROM user_candidates);
INSERT INTO users_history (user_id, level, valid_from, valid_to, is_current)
SELECT userid, level, valid_from,
       LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from),
       CASE WHEN LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from) IS NULL
            THEN TRUE ELSE FALSE END
FROM (
    SELECT userid, level, sparkify_epoch_ms(ts) AS valid_from,
           LAG(level) OVER (PARTITION BY userid ORDER BY ts) AS previous
    FROM (
        SELECT userid, ts, level,
               ROW_NUMBER() OVER (
                   PARTITION BY userid, ts
                   ORDER BY sessionid DESC NULLS LAST, iteminsession DESC NULLS LAST, level
               ) AS pick
        FROM staging_events
        WHERE userid IS NOT NULL AND ts IS NOT NULL AND level IS NOT NULL
          AND userid IN (SELECT userid FROM user_candidates)
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
