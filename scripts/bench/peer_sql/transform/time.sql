-- time: one row per distinct start_time of songplays. weekday: 0 = Sunday.
-- depends: songplays
DELETE FROM time;
INSERT INTO time (start_time, hour, day, week, month, year, weekday)
SELECT start_time,
       CAST(EXTRACT(HOUR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DAY FROM start_time) AS INTEGER),
       CAST(EXTRACT(WEEK FROM start_time) AS INTEGER),
       CAST(EXTRACT(MONTH FROM start_time) AS INTEGER),
       CAST(EXTRACT(YEAR FROM start_time) AS INTEGER),
       CAST(EXTRACT(DOW FROM start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM songplays) played;
