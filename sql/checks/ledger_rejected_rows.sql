-- rule: rows rejected = rows in load_errors
-- tables: staging_events, staging_songs
-- How far the rejected rows kept in load_errors for the files the ledger holds for :table are
-- from what its ledger counts. Rows a failed load rejected (over --max-errors) are kept too,
-- as STL_LOAD_ERRORS keeps them, but their files are not in the ledger: figures/kept_rejected.sql
-- counts them.
SELECT ABS((SELECT COUNT(*) FROM load_errors WHERE table_name = :'table'
              AND file IN (SELECT file FROM load_ledger WHERE table_name = :'table')) -
           (SELECT COALESCE(SUM(rows_rejected), 0) FROM load_ledger WHERE table_name = :'table'))
