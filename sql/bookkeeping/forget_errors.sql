-- The rejected rows kept from earlier failed loads of :table (files the ledger does not hold),
-- dropped before a load records its own: a failed load's replace them, a committed load's
-- supersede them. Those of committed loads stay, as the ledger counts them.
DELETE FROM load_errors WHERE table_name = :'table'
   AND file NOT IN (SELECT file FROM load_ledger WHERE table_name = :'table')
