-- Empties the tables an incremental run works in, once the star schema is updated, so they are
-- empty between runs.
DELETE FROM staging_events_new;
DELETE FROM staging_songs_new;
DELETE FROM user_candidates;
DELETE FROM changed_plays;
DELETE FROM replaced_plays;
DELETE FROM history_users;
DELETE FROM history_changes;
