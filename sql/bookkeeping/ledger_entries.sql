-- The files the load ledger holds for :table, with the size and version each had when loaded;
-- staging compares them with the source's listing to decide what to load.
SELECT file, size_bytes, version FROM load_ledger WHERE table_name = :'table'
