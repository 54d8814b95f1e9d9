-- The files the ledger holds for a table, whose names may carry their day (freshness).
SELECT file FROM load_ledger WHERE table_name = :'table';
