-- What was loaded when: per staging table, files, bytes, rows and the latest load.
SELECT table_name, COUNT(*) AS files, SUM(size_bytes) AS size, SUM(rows_read) AS rows_read,
       SUM(rows_loaded) AS rows_loaded, SUM(rows_rejected) AS rows_rejected,
       MAX(loaded_at) AS loaded_at
FROM load_ledger GROUP BY table_name ORDER BY table_name
