-- PostgreSQL only, created after the tables: the indexes an incremental run reads by. It finds
-- the plays and staged events of the (time, user) pairs it computes again (changed_plays), and
-- checks only those rows, by the range of their times; without these, each of those statements
-- reads the whole table, and a new day costs as much as the history. BRIN: both tables are
-- written in time order, so a summary per 128 pages finds the stretch that changed, and it
-- costs next to nothing to keep up while a full load COPYs millions of rows (a B-tree on each
-- made the full run slower in the same session). Pages appended since the last summary are
-- read by every scan, so each run summarizes what it appended
-- (sql/bookkeeping/postgres_summarize.sql).
CREATE INDEX IF NOT EXISTS songplays_start_time ON songplays USING brin (start_time);
CREATE INDEX IF NOT EXISTS staging_events_ts ON staging_events USING brin (ts);
