-- Rows rejected by loads that failed on --max-errors and were rolled back: kept in load_errors
-- to say why, for files the ledger does not hold (so no check counts them against it). Only the
-- staging tables' (:'tables'): the rows a `sparkify copy` rejected are that COPY's record, and
-- no ledger ever holds its files.
SELECT COUNT(*) FROM load_errors e WHERE e.table_name IN (:'tables') AND NOT EXISTS (
    SELECT 1 FROM load_ledger l WHERE l.table_name = e.table_name AND l.file = e.file)
