-- The ledger entries and rejected rows of the files a backfill replaces (:'files', ledger
-- keys), so the ledger holds exactly what the reload records.
DELETE FROM load_ledger WHERE table_name = :'table' AND file IN (:'files');
DELETE FROM load_errors WHERE table_name = :'table' AND file IN (:'files');
