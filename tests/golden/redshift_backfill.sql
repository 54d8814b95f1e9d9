-- sql/backfill/ledger_rows.sql
-- The files the load ledger holds for :table with the rows each loaded: a backfill picks
-- those of its range by the date in their names.
SELECT file, rows_loaded FROM load_ledger WHERE table_name = :'table'

-- sql/backfill/events_in_range.sql
-- The staging_events rows dated in a backfill's range, [:'from_ms', :'to_ms') in the logs'
-- epoch milliseconds (UTC). Before the backfill replaces them, their number must be the rows
-- the ledger says the range's files loaded, or the dates do not tell which rows those files
-- gave (see src/pipeline/backfill.rs).
SELECT COUNT(*) FROM staging_events
WHERE ts >= CAST(:'from_ms' AS BIGINT) AND ts < CAST(:'to_ms' AS BIGINT)

-- sql/backfill/plays_in_range.sql
-- The songplays of a backfill's range, [:'from_ms', :'to_ms') in epoch milliseconds, counted
-- before and after it for the report.
SELECT COUNT(*) FROM songplays
WHERE start_time >= sparkify_epoch_ms(CAST(:'from_ms' AS BIGINT))
  AND start_time < sparkify_epoch_ms(CAST(:'to_ms' AS BIGINT))

-- sql/backfill/remove.sql
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

-- sql/backfill/forget_files.sql
-- The ledger entries and rejected rows of the files a backfill replaces (:'files', ledger
-- keys), so the ledger holds exactly what the reload records.
DELETE FROM load_ledger WHERE table_name = :'table' AND file IN (:'files');
DELETE FROM load_errors WHERE table_name = :'table' AND file IN (:'files');

-- sql/backfill/outside_range.sql
-- Rows the range's files hold now that are not dated in the range, [:'from_ms', :'to_ms')
-- (or not dated at all): a date backfill refuses them, since the next backfill of any range
-- could not tell which file they came from.
SELECT COUNT(*) FROM staging_events_new
WHERE ts IS NULL OR ts < CAST(:'from_ms' AS BIGINT) OR ts >= CAST(:'to_ms' AS BIGINT)

-- sql/backfill/arrived.sql
-- The rows a backfill loaded (still in staging_events_new) reach the star schema too: their
-- users, and the pairs of their plays that the removed rows did not already name.
INSERT INTO user_candidates (userid)
SELECT DISTINCT userid FROM staging_events_new WHERE userid IS NOT NULL;
INSERT INTO changed_plays (ts, start_time, user_id)
SELECT ts, sparkify_epoch_ms(ts), userid
FROM (
    SELECT DISTINCT ts, userid FROM staging_events_new
    WHERE page = 'NextSong' AND ts IS NOT NULL AND userid IS NOT NULL
) pairs
WHERE NOT EXISTS (
    SELECT 1 FROM changed_plays c WHERE c.ts = pairs.ts AND c.user_id = pairs.userid
);

-- sql/backfill/users_history.sql
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

-- sql/backfill/users.sql
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

-- sql/backfill/time.sql
-- time after a backfill: the start times of changed_plays' pairs that no play has any more
-- go, those that a play has and time lacks come. Other rows stay as they are.
DELETE FROM time
WHERE start_time IN (SELECT start_time FROM changed_plays)
  AND start_time NOT IN (SELECT start_time FROM songplays);
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(EXTRACT(HOUR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DAY FROM start_time) AS INTEGER),
       CAST(EXTRACT(WEEK FROM start_time) AS INTEGER),
       CAST(EXTRACT(MONTH FROM start_time) AS INTEGER),
       CAST(EXTRACT(YEAR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DOW FROM start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM changed_plays) played
WHERE EXISTS (SELECT 1 FROM songplays p WHERE p.start_time = played.start_time)
  AND NOT EXISTS (SELECT 1 FROM time t WHERE t.start_time = played.start_time);

