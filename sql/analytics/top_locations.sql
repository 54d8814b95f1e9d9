-- Where people listen: plays and listeners by location
SELECT location, COUNT(*) AS plays, COUNT(DISTINCT user_id) AS users
FROM songplays
WHERE location IS NOT NULL
GROUP BY location
ORDER BY plays DESC, location
