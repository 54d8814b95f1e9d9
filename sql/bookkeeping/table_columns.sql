-- The columns of one table as the warehouse's catalog describes them, in table order: what
-- `sparkify copy` loads any table by (not sparkify's own DDL). No schema given: the current
-- one. Cast, because the catalog's own types (sql_identifier, cardinal_number) are domains.
SELECT CAST(column_name AS VARCHAR) AS column_name,
       CAST(data_type AS VARCHAR) AS data_type,
       CAST(character_maximum_length AS BIGINT) AS length,
       CAST(numeric_precision AS BIGINT) AS numeric_precision,
       CAST(numeric_scale AS BIGINT) AS numeric_scale,
       CAST(is_nullable AS VARCHAR) AS is_nullable
FROM information_schema.columns
WHERE table_name = :'table'
  AND table_schema = COALESCE(NULLIF(:'schema', ''), current_schema())
ORDER BY ordinal_position
