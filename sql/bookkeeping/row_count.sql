-- Rows in :table (each model after its transform).
SELECT COUNT(*) FROM :table
