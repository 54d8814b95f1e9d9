-- users_history: each user's level over time, rebuilt from every staged event with a userId, a
-- time and a level (an event without one of them says nothing about who had which level when).
-- One level per instant: of a user's events at the same ts, the one users would take as the
-- latest (sql/transform/users.sql: highest sessionid, then itemInSession, then the first level
-- alphabetically) gives the level at that instant, so the current period's level is always
-- users.level and a period never starts and ends at the same time. Then each change of level
-- between consecutive instants starts a period, and the next change ends it; flapping
-- (free -> paid -> free) is one period per stretch. An event repeated in the logs changes
-- nothing.
DELETE FROM users_history;
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
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
