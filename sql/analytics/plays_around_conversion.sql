-- Song plays before and from each user's first free -> paid upgrade, from users_history and songplays
SELECT c.user_id, c.converted_at,
       SUM(CASE WHEN p.start_time < c.converted_at THEN 1 ELSE 0 END) AS plays_before,
       SUM(CASE WHEN p.start_time >= c.converted_at THEN 1 ELSE 0 END) AS plays_after
FROM (
    SELECT h.user_id, MIN(h.valid_from) AS converted_at
    FROM users_history h
    JOIN users_history prev
        ON prev.user_id = h.user_id
       AND prev.valid_to = h.valid_from
       AND prev.level = 'free'
    WHERE h.level = 'paid'
    GROUP BY h.user_id
) c
LEFT JOIN songplays p ON p.user_id = c.user_id
GROUP BY c.user_id, c.converted_at
ORDER BY c.converted_at, c.user_id
