-- What the last COPY of this session read, per file (Redshift's SYS_LOAD_DETAIL, on
-- provisioned clusters and Serverless), for load_ledger: file -> load_ledger.file,
-- lines_scanned -> rows_read, bytes_scanned -> size_bytes. File names are padded CHAR, hence TRIM.
SELECT TRIM(file_name), SUM(lines_scanned), SUM(bytes_scanned)
FROM sys_load_detail
WHERE query_id = pg_last_copy_id()
GROUP BY 1
ORDER BY 1;
