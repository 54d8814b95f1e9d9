-- users after a backfill: every user the removed or the loaded rows name
-- (user_candidates.userid) is derived again from all their staged events, ordered exactly as
-- sql/transform/users.sql orders them, so the row is the one a clean load gives; a user left
-- with no event goes. Events of other dates are read (a user's latest event may lie outside
-- the range) but no other user's row changes.
DELETE FROM user_latest WHERE userid IN (SELECT userid FROM user_candidates);
INSERT INTO user_latest (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM (
    SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession,
           ROW_NUMBER() OVER (
               PARTITION BY userid
               ORDER BY ts DESC NULLS LAST, sessionid DESC NULLS LAST,
                        iteminsession DESC NULLS LAST, level NULLS LAST,
                        firstname NULLS LAST, lastname NULLS LAST, gender NULLS LAST
           ) AS pick
    FROM staging_events
    WHERE userid IN (SELECT userid FROM user_candidates)
) ranked
WHERE pick = 1;
DELETE FROM users WHERE user_id IN (SELECT userid FROM user_candidates);
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM user_latest
WHERE userid IN (SELECT userid FROM user_candidates);
