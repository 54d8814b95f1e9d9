-- The latest runs, newest first (the report's run history).
SELECT run_id, command, status, started, finished, build, files_staged, rows_staged,
       rows_rejected, checks_passed, checks_failed, checks_warned, engine, sparkify_version
FROM runs
ORDER BY started DESC, run_id DESC;
