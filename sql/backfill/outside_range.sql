-- Rows the range's files hold now that are not dated in the range, [:'from_ms', :'to_ms')
-- (or not dated at all): a date backfill refuses them, since the next backfill of any range
-- could not tell which file they came from.
SELECT COUNT(*) FROM staging_events_new
WHERE ts IS NULL OR ts < CAST(:'from_ms' AS BIGINT) OR ts >= CAST(:'to_ms' AS BIGINT)
