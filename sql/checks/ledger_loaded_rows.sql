-- rule: rows loaded = rows in table
-- tables: staging_events, staging_songs
-- How far the rows in :table are from the rows its ledger says were loaded.
SELECT ABS((SELECT COUNT(*) FROM :table) -
           (SELECT COALESCE(SUM(rows_loaded), 0) FROM load_ledger WHERE table_name = :'table'))
