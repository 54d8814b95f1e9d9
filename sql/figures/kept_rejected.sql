-- Rows rejected by loads that failed on --max-errors and were rolled back: kept in load_errors
-- to say why, for files the ledger does not hold (so no check counts them against it).
SELECT COUNT(*) FROM load_errors e WHERE NOT EXISTS (
    SELECT 1 FROM load_ledger l WHERE l.table_name = e.table_name AND l.file = e.file)
