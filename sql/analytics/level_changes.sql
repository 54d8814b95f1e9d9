-- Users who converted free to paid (and back), from the level of their plays over time
SELECT c.user_id, u.first_name, u.last_name,
       SUM(CASE WHEN c.previous = 'free' AND c.level = 'paid' THEN 1 ELSE 0 END) AS upgrades,
       SUM(CASE WHEN c.previous = 'paid' AND c.level = 'free' THEN 1 ELSE 0 END) AS downgrades,
       MIN(CASE WHEN c.previous = 'free' AND c.level = 'paid' THEN c.start_time END) AS first_upgrade,
       u.level AS current_level
FROM (
    SELECT user_id, level, start_time,
           LAG(level) OVER (PARTITION BY user_id ORDER BY start_time, songplay_id) AS previous
    FROM songplays
) c
LEFT JOIN users u ON u.user_id = c.user_id
WHERE c.previous IS NOT NULL AND c.previous <> c.level
GROUP BY c.user_id, u.first_name, u.last_name, u.level
ORDER BY upgrades DESC, downgrades DESC, c.user_id
