-- rule: rows read = rows loaded + rows rejected
-- tables: staging_events, staging_songs
-- Counts the files of :table whose ledger entry loses records: every record read was either
-- loaded or rejected.
SELECT COUNT(*) FROM load_ledger WHERE table_name = :'table'
   AND rows_read <> rows_loaded + rows_rejected
