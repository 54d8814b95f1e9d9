-- rule: rows rejected = rows in load_errors
-- tables: staging_events, staging_songs
-- How far the rejected rows of :table kept in load_errors are from what its ledger counts.
SELECT ABS((SELECT COUNT(*) FROM load_errors WHERE table_name = :'table') -
           (SELECT COALESCE(SUM(rows_rejected), 0) FROM load_ledger WHERE table_name = :'table'))
