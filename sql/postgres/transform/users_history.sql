-- users_history on PostgreSQL: the rows of sql/transform/users_history.sql (its comments say
-- what a period is), computed in scratch tables so that both reads of staging_events can run
-- on every core.
-- PostgreSQL never plans an INSERT ... SELECT in parallel, but it does plan the query of a
-- CREATE TABLE ... AS in parallel. And in the one statement, the planner joined the events
-- with a per-user aggregate it estimated at half its real size, and chose to compute that
-- aggregate serially (4.6 s at 10M events, spilling to disk) where alone it runs on both
-- cores (2.2 s). So here each user's levels are aggregated into a table of their own, which
-- is then analyzed, and the ranking is written to a second one: both queries then get
-- parallel plans. Only what the last step writes goes into users_history. The scratch tables
-- are UNLOGGED (nothing to write to the WAL), created and dropped inside the run's
-- transaction, so nobody else sees them and a failed run leaves none behind. A temporary table
-- would not do: parallel workers cannot read one. At 10M events, alone in rolled-back
-- transactions: 6.8-7.2 s for the common statement, 4.4 s here (BENCHMARKS.md 2026-12-04,
-- before midnight); sparkify_epoch_ms is PARALLEL SAFE for this (sql/functions/postgres.sql).
CREATE UNLOGGED TABLE sparkify_scratch_user_levels AS
SELECT userid AS level_user, MIN(level) AS lowest, MAX(level) AS highest, MIN(ts) AS first_ts
FROM staging_events
WHERE userid IS NOT NULL AND ts IS NOT NULL AND level IS NOT NULL
GROUP BY userid;
ANALYZE sparkify_scratch_user_levels;
CREATE UNLOGGED TABLE sparkify_scratch_users_history AS
SELECT userid, level, valid_from,
       LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from) AS valid_to,
       CASE WHEN LEAD(valid_from) OVER (PARTITION BY userid ORDER BY valid_from) IS NULL
            THEN TRUE ELSE FALSE END AS is_current
FROM (
    SELECT userid, level, sparkify_epoch_ms(ts) AS valid_from,
           LAG(level) OVER (PARTITION BY userid ORDER BY ts) AS previous
    FROM (
        SELECT userid, ts, level,
               ROW_NUMBER() OVER (
                   PARTITION BY userid, ts
                   ORDER BY sessionid DESC NULLS LAST, iteminsession DESC NULLS LAST, level
               ) AS pick
        FROM staging_events e
        JOIN sparkify_scratch_user_levels levels
          ON e.userid = levels.level_user
         AND (levels.lowest <> levels.highest OR e.ts = levels.first_ts)
        WHERE e.ts IS NOT NULL AND e.level IS NOT NULL
    ) instants
    WHERE pick = 1
) changes
WHERE previous IS NULL OR previous <> level;
DROP TABLE sparkify_scratch_user_levels;
DELETE FROM users_history;
INSERT INTO users_history (user_id, level, valid_from, valid_to, is_current)
SELECT userid, level, valid_from, valid_to, is_current
FROM sparkify_scratch_users_history;
DROP TABLE sparkify_scratch_users_history;
