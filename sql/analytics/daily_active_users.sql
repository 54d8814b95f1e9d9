-- Daily active listeners and plays over time (UTC days)
SELECT CAST(start_time AS DATE) AS day, COUNT(DISTINCT user_id) AS users, COUNT(*) AS plays
FROM songplays
GROUP BY CAST(start_time AS DATE)
ORDER BY day
