-- users_history (dimension, SCD type 2): each user's subscription level over time, one row per
-- user per maximal period at one level, from every event with a userId (every page, not only
-- NextSong). A period is half-open, [valid_from, valid_to): valid_from is the time of the first
-- event seen at its level, valid_to the time of the first event seen at the next level (the
-- change happened somewhere between the two events; the logs cannot say where), NULL while
-- the period is current. A user who goes back to a level gets a new period, so free -> paid ->
-- free is three rows. sql/transform/users_history.sql says how events at the same time count.
-- check: unique user_id, valid_from
-- check: not_null user_id, level, valid_from, is_current
-- check: accepted_values level free, paid
-- check: references user_id users.user_id
-- check: expect valid_to > valid_from
-- check: expect is_current = CASE WHEN valid_to IS NULL THEN TRUE ELSE FALSE END
-- check: no_rows users_history_one_current
-- check: no_rows users_history_overlaps
-- check: no_rows users_history_contiguous
-- check: no_rows users_history_current_is_users_level
-- On Redshift a few rows per user, so small like users: a copy on every node, and sorted the way
-- a point-in-time lookup (a user, then a time) reads it.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (user_id, valid_from)
CREATE TABLE IF NOT EXISTS users_history (
    user_id     INTEGER NOT NULL,
    level       VARCHAR(16) NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    valid_to    TIMESTAMP,
    is_current  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, valid_from)
);
