-- rule: a user's periods do not overlap
-- Each pair of periods of one user where the later-starting one starts before the other ends
-- (an open period ends never). Two periods starting together are the unique rule's to report.
SELECT a.user_id, a.level, a.valid_from, a.valid_to,
       b.level AS next_level, b.valid_from AS next_from, b.valid_to AS next_to
FROM users_history a
JOIN users_history b ON b.user_id = a.user_id AND b.valid_from > a.valid_from
WHERE a.valid_to IS NULL OR b.valid_from < a.valid_to
