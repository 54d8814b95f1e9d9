-- Rows per UTC day of a column of epoch milliseconds (volume): the day as days since
-- 1970-01-01, and its rows; days without rows are absent. FLOOR of a division by a decimal
-- rounds down on every engine (DuckDB's `/` of two integers gives a float).
SELECT CAST(FLOOR(:column / 86400000.0) AS BIGINT) AS day, COUNT(*) AS events
FROM :table
WHERE :column IS NOT NULL
GROUP BY 1
ORDER BY 1;
