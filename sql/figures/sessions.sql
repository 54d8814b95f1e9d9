-- Listening sessions.
SELECT COUNT(*) FROM (SELECT DISTINCT user_id, session_id FROM songplays) s
