-- users, from this run's events only: each user they name gets the latest of those events and
-- of the one kept in user_latest, ordered exactly as sql/transform/users.sql orders all events,
-- so the row is the one a rebuild gives.
-- depends: users_history
DELETE FROM user_candidates;
INSERT INTO user_candidates (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM staging_events_new
WHERE userid IS NOT NULL;
INSERT INTO user_candidates (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM user_latest
WHERE userid IN (SELECT userid FROM staging_events_new);
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
    FROM user_candidates
) ranked
WHERE pick = 1;
DELETE FROM users WHERE user_id IN (SELECT userid FROM user_candidates);
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM user_latest
WHERE userid IN (SELECT userid FROM user_candidates);
