-- users_history, for the users this run's events name, giving the rows
-- sql/transform/users_history.sql gives. Two cases, told apart by user_latest as the last run
-- left it (this runs before users updates it):
-- * all of a user's new events come after their latest earlier event (a new day, the usual
--   case): the new events are merged into the open period. Its level and the new instants'
--   levels in time order give the changes; the open period is closed at the first one and
--   each change opens a period. Only the new events are read.
-- * one of them is no later (a late day, a file loaded out of order, an event at the instant
--   of an earlier one): it can split, join or move periods anywhere in the user's history, so
--   that user's periods are computed again from all their staged events, as the rebuild does.
DELETE FROM history_users;
INSERT INTO history_users (user_id, late)
SELECT n.userid, MAX(CASE WHEN n.ts <= l.ts THEN 1 ELSE 0 END)
FROM staging_events_new n
LEFT JOIN user_latest l ON l.userid = n.userid
WHERE n.userid IS NOT NULL
GROUP BY n.userid;
-- Late users: computed again.
DELETE FROM users_history
WHERE user_id IN (SELECT user_id FROM history_users WHERE late = 1);
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
          AND userid IN (SELECT user_id FROM history_users WHERE late = 1)
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
-- The others: the open period (if any) and the new instants, in time order; the open period
-- starts before every new instant, and no earlier event shares an instant with a new one.
DELETE FROM history_changes;
INSERT INTO history_changes (user_id, level, valid_from)
SELECT userid, level, valid_from
FROM (
    SELECT userid, level, valid_from, is_open,
           LAG(level) OVER (PARTITION BY userid ORDER BY valid_from) AS previous
    FROM (
        SELECT h.user_id AS userid, h.level, h.valid_from, 1 AS is_open
        FROM users_history h
        JOIN history_users u ON u.user_id = h.user_id AND u.late = 0
        WHERE h.is_current
        UNION ALL
        SELECT userid, level, sparkify_epoch_ms(ts) AS valid_from, 0 AS is_open
        FROM (
            SELECT n.userid, n.ts, n.level,
                   ROW_NUMBER() OVER (
                       PARTITION BY n.userid, n.ts
                       ORDER BY n.sessionid DESC NULLS LAST, n.iteminsession DESC NULLS LAST,
                                n.level
                   ) AS pick
            FROM staging_events_new n
            JOIN history_users u ON u.user_id = n.userid AND u.late = 0
            WHERE n.ts IS NOT NULL AND n.level IS NOT NULL
        ) instants
        WHERE pick = 1
    ) known
) changes
WHERE is_open = 1 OR previous IS NULL OR previous <> level;
DELETE FROM users_history
WHERE is_current AND user_id IN (SELECT user_id FROM history_changes);
INSERT INTO users_history (user_id, level, valid_from, valid_to, is_current)
SELECT user_id, level, valid_from,
       LEAD(valid_from) OVER (PARTITION BY user_id ORDER BY valid_from),
       CASE WHEN LEAD(valid_from) OVER (PARTITION BY user_id ORDER BY valid_from) IS NULL
            THEN TRUE ELSE FALSE END
FROM history_changes;
