-- Days with song plays (UTC).
SELECT COUNT(*) FROM (SELECT DISTINCT CAST(start_time AS DATE) AS d FROM songplays) s
