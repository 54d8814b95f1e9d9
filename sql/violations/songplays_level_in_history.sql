-- rule: level agrees with users_history at start_time
-- The plays whose level is not the level of the user's period that holds the play's time (or
-- that no period holds). Events of one user at the same millisecond with different levels are
-- the one way this fails: users_history keeps one level per instant.
SELECT p.songplay_id, p.user_id, p.start_time, p.level, h.level AS history_level
FROM songplays p
LEFT JOIN users_history h
    ON h.user_id = p.user_id
   AND h.valid_from <= p.start_time
   AND (h.valid_to IS NULL OR p.start_time < h.valid_to)
WHERE p.level IS NOT NULL AND (h.level IS NULL OR h.level <> p.level)
