-- DuckDB only: the tables of the current schema that carry a PRIMARY KEY. sparkify gave its
-- tables one until 2026-12; it no longer does on DuckDB (src/sql.rs, `without_primary_key`), and
-- DuckDB cannot drop a key, so a run rebuilds these (sql/bookkeeping/duckdb_drop_primary_key.sql).
SELECT DISTINCT table_name
FROM duckdb_constraints()
WHERE constraint_type = 'PRIMARY KEY'
  AND database_name = current_database()
  AND schema_name = current_schema()
ORDER BY table_name
