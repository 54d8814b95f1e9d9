-- history_users: scratch of an incremental run: each user its new events name, and whether one
-- of those events is no later than the user's latest earlier event (late = 1: their periods
-- are computed again from all their events) or all are later (late = 0: merged into the open
-- period). Empty between runs.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS history_users (
    user_id  INTEGER NOT NULL,
    late     INTEGER NOT NULL
);
