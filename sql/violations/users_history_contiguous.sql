-- rule: a closed period is followed, from its end, by one at the other level
-- The closed periods no period of the same user starts at the end of at another level: a gap in
-- the history, or two periods at one level that should be one (the periods are maximal).
SELECT a.user_id, a.level, a.valid_from, a.valid_to
FROM users_history a
WHERE a.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM users_history b
                  WHERE b.user_id = a.user_id AND b.valid_from = a.valid_to
                    AND b.level <> a.level)
