-- Platforms people listen on, from the user agent
SELECT platform, COUNT(*) AS plays, COUNT(DISTINCT user_id) AS users
FROM (
    SELECT user_id,
           CASE WHEN user_agent LIKE '%iPhone%' THEN 'iPhone'
                WHEN user_agent LIKE '%iPad%' THEN 'iPad'
                WHEN user_agent LIKE '%Android%' THEN 'Android'
                WHEN user_agent LIKE '%Windows%' THEN 'Windows'
                WHEN user_agent LIKE '%Macintosh%' THEN 'Mac'
                WHEN user_agent LIKE '%Linux%' THEN 'Linux'
                ELSE 'Other' END AS platform
    FROM songplays
) plays
GROUP BY platform
ORDER BY plays DESC, platform
