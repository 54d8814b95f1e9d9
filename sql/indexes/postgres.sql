-- PostgreSQL only, created after the tables: the indexes an incremental run reads by. It finds
-- the plays and staged events of the (time, user) pairs it computes again (changed_plays), and
-- checks only those rows, by time; without these, each of those statements reads the whole
-- table, and a new day costs as much as the history. Both tables are written in time order, so
-- the indexes grow at their right edge.
CREATE INDEX IF NOT EXISTS songplays_start_time ON songplays (start_time);
CREATE INDEX IF NOT EXISTS staging_events_ts ON staging_events (ts);
