-- Redshift has no advisory locks: a run takes this lock inside its transaction, right after
-- creating the tables, so a second run waits here until the first commits (instead of failing
-- on a serializable-isolation conflict later).
LOCK load_ledger;
