-- rule: users.level is the level of the user's current period
-- The users whose level (from their latest event) is not the level of their current period, or
-- who have no current period. A user whose latest event has no time (NULL ts) or no level has
-- nothing the history could agree with, and is left out.
SELECT u.user_id, u.level, h.level AS current_period_level, h.valid_from
FROM users u
JOIN user_latest l ON l.userid = u.user_id AND l.ts IS NOT NULL
LEFT JOIN users_history h ON h.user_id = u.user_id AND h.is_current
WHERE u.level IS NOT NULL AND (h.level IS NULL OR h.level <> u.level)
