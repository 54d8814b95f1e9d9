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
