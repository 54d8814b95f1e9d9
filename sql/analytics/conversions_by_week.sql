-- Level changes per week (weeks start on Monday, UTC): free -> paid upgrades and paid -> free downgrades, from users_history
SELECT CAST(DATE_TRUNC('week', h.valid_from) AS DATE) AS week,
       SUM(CASE WHEN prev.level = 'free' AND h.level = 'paid' THEN 1 ELSE 0 END) AS upgrades,
       SUM(CASE WHEN prev.level = 'paid' AND h.level = 'free' THEN 1 ELSE 0 END) AS downgrades
FROM users_history h
JOIN users_history prev ON prev.user_id = h.user_id AND prev.valid_to = h.valid_from
GROUP BY CAST(DATE_TRUNC('week', h.valid_from) AS DATE)
ORDER BY week
