-- PostgreSQL: whether the table's primary key makes a `unique` rule on these columns hold by
-- itself (1) or not (0). A primary key is unique and NOT NULL, so when its columns are among
-- the rule's, no two rows can share the rule's key (the rule counts rows with NULL keys as
-- copies too, which a UNIQUE index alone would allow). Only a valid, immediately enforced key
-- counts. The rule reads the whole table otherwise: 6.5 s for songplays at 10M events.
SELECT COUNT(*)
FROM pg_index i
WHERE i.indrelid = to_regclass(:'table')
  AND i.indisprimary AND i.indisvalid AND i.indimmediate
  AND NOT EXISTS (
      SELECT 1
      FROM pg_attribute a
      WHERE a.attrelid = i.indrelid
        AND a.attnum = ANY (i.indkey)
        AND CAST(a.attname AS TEXT) NOT IN (:'columns')
  )
