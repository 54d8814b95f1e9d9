-- Song plays by hour of day (UTC)
SELECT t.hour, COUNT(*) AS plays, COUNT(DISTINCT p.user_id) AS users
FROM songplays p
JOIN time t ON t.start_time = p.start_time
GROUP BY t.hour
ORDER BY t.hour
