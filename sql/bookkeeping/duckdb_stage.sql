-- Fills the staging table :table on DuckDB's own threads: sparkify_stage is sparkify's COPY
-- loader registered as a table function (src/warehouse/duckdb/stage.rs), :'job' the id of the
-- load it serves. The order of rows in a staging table carries no meaning, and only without it
-- does DuckDB insert on every thread; the setting is restored right after.
SET preserve_insertion_order = false;
INSERT INTO :table SELECT * FROM sparkify_stage(CAST(:'job' AS BIGINT));
RESET preserve_insertion_order;
