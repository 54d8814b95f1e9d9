-- The files the load ledger holds for :table with the rows each loaded: a backfill picks
-- those of its range by the date in their names.
SELECT file, rows_loaded FROM load_ledger WHERE table_name = :'table'
