-- users: one row per non-empty userId in the logs (all pages, not only NextSong), carrying the
-- attributes of the user's latest event, so `level` is the current subscription level.
DELETE FROM users;
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM (
    SELECT userid, firstname, lastname, gender, level,
           ROW_NUMBER() OVER (
               PARTITION BY userid
               ORDER BY ts DESC NULLS LAST, sessionid DESC NULLS LAST,
                        iteminsession DESC NULLS LAST, level NULLS LAST
           ) AS pick
    FROM staging_events
    WHERE userid IS NOT NULL
) ranked
WHERE pick = 1;
