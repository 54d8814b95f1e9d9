-- PostgreSQL, before a rebuild fills :table: when the table is empty (a first build), the
-- statements that drop its primary key now and add the same key back once the table is
-- filled; no row otherwise. An INSERT keeps a B-tree up row by row, while adding the key
-- builds it in one sort of the finished table: at 10M events `time` took 8.5 s instead of
-- 11 s and `songplays` 24.8 s instead of 27.6 s, the full run 104-106 s instead of 111 s
-- (BENCHMARKS.md, 2026-12-04: keys built after a first load). Both run in the
-- build's transaction, so a failed run gets its key back with the rollback. Not when the table
-- holds rows (dropping a key locks readers out of the old rows until the run commits, where
-- they would otherwise go on reading them), nor when another table's foreign key references
-- the key (it cannot be dropped). The statements are made here from the catalogue, names
-- quoted by format's %I and regclass, so no name is pasted in by the client.
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', CAST(k.conrelid AS regclass), k.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', CAST(k.conrelid AS regclass), k.conname,
              pg_get_constraintdef(k.oid))
FROM pg_constraint k
WHERE k.conrelid = to_regclass(:'table')
  AND k.contype = 'p'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = k.conrelid)
  AND NOT EXISTS (SELECT 1 FROM :table)
