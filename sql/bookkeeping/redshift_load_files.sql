-- What the last COPY of this session read, per file (Redshift's STL_LOAD_COMMITS), for
-- load_ledger. Filenames are padded CHAR columns, hence TRIM.
SELECT TRIM(filename), SUM(lines_scanned)
FROM stl_load_commits
WHERE query = pg_last_copy_id()
GROUP BY 1
ORDER BY 1;
