-- Listeners (users).
SELECT COUNT(*) FROM users
