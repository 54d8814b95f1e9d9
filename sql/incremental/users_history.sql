-- users_history, for the users this run's events name: each one's periods are computed again
-- from all their staged events, exactly as sql/transform/users_history.sql computes them, and
-- replace the ones they had. Not a merge of the new events into the open period: an event may
-- arrive for a time before the current period began (a late day, a file loaded out of order),
-- or at the very instant of an earlier event, and either can split, join or move periods
-- anywhere in the user's history; a user's events are few, and reading them again is always
-- right. Users without a new event keep their rows untouched.
-- depends: users
DELETE FROM users_history
WHERE user_id IN (SELECT userid FROM staging_events_new WHERE userid IS NOT NULL);
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
          AND userid IN (SELECT userid FROM staging_events_new WHERE userid IS NOT NULL)
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
