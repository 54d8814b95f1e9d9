-- rule: at most one current period per user
-- The users with more than one period marked current.
SELECT user_id, COUNT(*) AS current_periods
FROM users_history
WHERE is_current
GROUP BY user_id
HAVING COUNT(*) > 1
