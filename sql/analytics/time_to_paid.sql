-- Time from a user's first event to their first paid period, for users who started free and paid later
SELECT f.user_id, f.first_seen, f.first_paid,
       ROUND((EXTRACT(EPOCH FROM f.first_paid) - EXTRACT(EPOCH FROM f.first_seen)) / 3600.0, 1)
           AS hours_to_paid
FROM (
    SELECT user_id, MIN(valid_from) AS first_seen,
           MIN(CASE WHEN level = 'paid' THEN valid_from END) AS first_paid
    FROM users_history
    GROUP BY user_id
) f
JOIN users_history first_period
    ON first_period.user_id = f.user_id
   AND first_period.valid_from = f.first_seen
   AND first_period.level = 'free'
WHERE f.first_paid IS NOT NULL
ORDER BY hours_to_paid, f.user_id
