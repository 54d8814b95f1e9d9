-- What the last COPY of this session rejected (Redshift's SYS_LOAD_ERROR_DETAIL), for
-- load_errors, in the column order of LoadError: file_name -> file, line_number -> line,
-- column_name, column_type, then raw value and raw line, which the SYS view does not keep
-- (STL_LOAD_ERRORS did, but Serverless has no STL tables), and error_message plus
-- error_code -> reason.
SELECT TRIM(file_name), line_number, TRIM(column_name), TRIM(column_type),
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
       TRIM(error_message) || ' (load error ' || CAST(error_code AS VARCHAR) || ')'
FROM sys_load_error_detail
WHERE query_id = pg_last_copy_id()
ORDER BY 1, 2;
