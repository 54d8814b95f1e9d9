-- sql/monitors/daily_counts.sql for PostgreSQL: the same days and counts. PostgreSQL estimates
-- the groups of an expression over one column as that column's distinct values, so for the
-- day of 10M staged events it expected 10M days, and sorted every row (spilling to disk)
-- instead of hashing a hundred days. Behind OFFSET 0 the day is the column of a subquery,
-- whose distinct values it does not know, and it hashes them. At 10M events on a server
-- holding the 10M warehouse: 2.7 s sorted, 2.1 s hashed (BENCHMARKS.md 2026-12-04, before
-- midnight).
SELECT day, COUNT(*) AS events
FROM (
    SELECT CAST(FLOOR(CAST(:column AS DOUBLE PRECISION) / 86400000) AS BIGINT) AS day
    FROM :table
    WHERE :column IS NOT NULL
    OFFSET 0
) days
GROUP BY day
ORDER BY day;
