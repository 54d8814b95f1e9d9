-- PostgreSQL: whether the column is declared NOT NULL (1) or not (0), which makes a `not_null`
-- rule on it hold by itself. PostgreSQL refuses a NULL in such a column on every write, so the
-- rule need not read the rows (0.3 s a rule on songplays at 10M events). A not-null
-- constraint added NOT VALID (PostgreSQL 18) is not trusted: rows from before it may be NULL.
SELECT COUNT(*)
FROM pg_attribute a
WHERE a.attrelid = to_regclass(:'table')
  AND CAST(a.attname AS TEXT) = :'column'
  AND a.attnotnull AND NOT a.attisdropped
  AND NOT EXISTS (
      SELECT 1
      FROM pg_constraint c
      WHERE c.conrelid = a.attrelid
        AND c.contype = 'n'
        AND NOT c.convalidated
        AND a.attnum = ANY (c.conkey)
  )
