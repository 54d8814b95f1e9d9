-- The songplays of a backfill's range, [:'from_ms', :'to_ms') in epoch milliseconds, counted
-- before and after it for the report.
SELECT COUNT(*) FROM songplays
WHERE start_time >= sparkify_epoch_ms(CAST(:'from_ms' AS BIGINT))
  AND start_time < sparkify_epoch_ms(CAST(:'to_ms' AS BIGINT))
