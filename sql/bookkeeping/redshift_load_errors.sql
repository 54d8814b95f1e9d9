-- What the last COPY of this session rejected (Redshift's STL_LOAD_ERRORS), for load_errors,
-- in the column order of LoadError: file, line, column, type, raw value, raw line, reason.
SELECT TRIM(filename), line_number, TRIM(colname), TRIM(type),
       TRIM(raw_field_value), TRIM(raw_line), TRIM(err_reason)
FROM stl_load_errors
WHERE query = pg_last_copy_id()
ORDER BY 1, 2;
