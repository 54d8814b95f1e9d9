-- Before the rejected rows of a load that failed on --max-errors are recorded: errors of
-- earlier, committed loads of other files of :table stay; those of earlier failed loads (files
-- the ledger does not hold) and of the files this load tried (:'files') are replaced.
DELETE FROM load_errors WHERE table_name = :'table'
   AND (file NOT IN (SELECT file FROM load_ledger WHERE table_name = :'table')
        OR file IN (:'files'))
