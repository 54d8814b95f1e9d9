-- users on PostgreSQL: the rows of sql/transform/users.sql (its comments say which event is a
-- user's latest), with both reads of staging_events in parallel plans, as
-- sql/postgres/transform/users_history.sql does and for the same reasons: each user's latest
-- ts is aggregated into an analyzed scratch table, and the events at that ts are ranked into a
-- second one by a CREATE TABLE ... AS. At 10M events, alone in rolled-back transactions: 3.6-3.7
-- s for the common statement, 2.3 s here (BENCHMARKS.md 2026-12-04, before midnight).
-- depends: users_history
CREATE UNLOGGED TABLE sparkify_scratch_latest_ts AS
SELECT userid AS latest_user, MAX(ts) AS latest_ts
FROM staging_events
WHERE userid IS NOT NULL
GROUP BY userid;
ANALYZE sparkify_scratch_latest_ts;
CREATE UNLOGGED TABLE sparkify_scratch_user_latest AS
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM (
    SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession,
           ROW_NUMBER() OVER (
               PARTITION BY userid
               ORDER BY ts DESC NULLS LAST, sessionid DESC NULLS LAST,
                        iteminsession DESC NULLS LAST, level NULLS LAST,
                        firstname NULLS LAST, lastname NULLS LAST, gender NULLS LAST
           ) AS pick
    FROM staging_events e
    JOIN sparkify_scratch_latest_ts latest
      ON e.userid = latest.latest_user
     AND (e.ts = latest.latest_ts OR latest.latest_ts IS NULL)
) ranked
WHERE pick = 1;
DROP TABLE sparkify_scratch_latest_ts;
DELETE FROM user_latest;
INSERT INTO user_latest (userid, firstname, lastname, gender, level, ts, sessionid, iteminsession)
SELECT userid, firstname, lastname, gender, level, ts, sessionid, iteminsession
FROM sparkify_scratch_user_latest;
DROP TABLE sparkify_scratch_user_latest;
DELETE FROM users;
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT userid, firstname, lastname, gender, level
FROM user_latest;
