-- The staging_events rows dated in a backfill's range, [:'from_ms', :'to_ms') in the logs'
-- epoch milliseconds (UTC). Before the backfill replaces them, their number must be the rows
-- the ledger says the range's files loaded, or the dates do not tell which rows those files
-- gave (see src/pipeline/backfill.rs).
SELECT COUNT(*) FROM staging_events
WHERE ts >= CAST(:'from_ms' AS BIGINT) AND ts < CAST(:'to_ms' AS BIGINT)
