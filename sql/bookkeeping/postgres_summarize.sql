-- PostgreSQL, once a run has appended its rows (after staging, and after the models): the
-- BRIN indexes of sql/indexes/postgres.sql summarize the page ranges written since they were
-- last summarized. A BRIN index reads every unsummarized range, and only VACUUM summarizes
-- them otherwise, which autovacuum runs on an insert-only table after 20 % growth: until then
-- a new day's statements read the whole table (measured at 1M events: the day's plays 1.0 s
-- instead of a few hundredths, the whole new day 7.3 s against 5.4-5.9 s). Ranges already
-- summarized are skipped, so after a new day this reads only the day's pages.
SELECT brin_summarize_new_values(CAST('staging_events_ts' AS regclass)),
       brin_summarize_new_values(CAST('songplays_start_time' AS regclass));
