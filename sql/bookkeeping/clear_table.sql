-- Empties a staging table (:table) and its bookkeeping before a full reload.
DELETE FROM :table;
DELETE FROM load_ledger WHERE table_name = :'table';
DELETE FROM load_errors WHERE table_name = :'table';
