-- PostgreSQL, before a first load or a first build fills :table: when the table is empty, the
-- statements that drop its primary key and its other indexes now, and those that build them
-- again once the table is filled; no row otherwise. An INSERT or COPY keeps every index up row
-- by row, while building one reads or sorts the finished table once:
-- - a primary key's B-tree: at 10M events `time` took 8.5 s instead of 11 s and `songplays`
--   24.8 s instead of 27.6 s, the full run 104-106 s instead of 111 s (BENCHMARKS.md,
--   2026-12-04: keys built after a first load);
-- - a BRIN index (sql/indexes/postgres.sql): PostgreSQL 15 reads its metapage and range map
--   for every row it inserts, even where no range is summarized yet. The COPY of 10M events
--   took about 1.5 s more with it, and building it afterwards costs what summarizing the
--   new ranges costs anyway (BENCHMARKS.md, 2026-12-05, afternoon).
-- All run in the load's or the build's transaction, so a failed run gets them back with the
-- rollback. Not when the table holds rows (dropping a key or an index locks readers out of the
-- old rows until the run commits, where they would otherwise go on reading them), nor for a
-- key another table's foreign key references (it cannot be dropped), nor for an index that
-- backs a constraint, is not valid, is the replica identity, is part of a partitioned index,
-- lives in its own tablespace or has a comment (the definition built again would lose it).
-- The statements are made here from the catalogue, names quoted by format's %I and
-- regclass, so no name is pasted in by the client.
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', CAST(k.conrelid AS regclass), k.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', CAST(k.conrelid AS regclass), k.conname,
              pg_get_constraintdef(k.oid))
FROM pg_constraint k
WHERE k.conrelid = to_regclass(:'table')
  AND k.contype = 'p'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = k.conrelid)
  AND NOT EXISTS (SELECT 1 FROM :table)
UNION ALL
SELECT format('DROP INDEX %s', CAST(CAST(i.indexrelid AS regclass) AS TEXT)),
       pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = to_regclass(:'table')
  AND c.relkind = 'i'
  AND c.reltablespace = 0
  AND i.indisvalid AND i.indisready AND NOT i.indisreplident
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
  AND obj_description(i.indexrelid, 'pg_class') IS NULL
  AND NOT EXISTS (SELECT 1 FROM :table)
