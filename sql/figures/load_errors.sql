-- Rows the loads rejected, for the report's table of load errors.
SELECT table_name, file, line, column_name, reason FROM load_errors
ORDER BY table_name, file, line
