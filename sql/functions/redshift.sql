-- Helpers the transforms call, defined per dialect so the transforms themselves stay common.
-- sparkify_epoch_ms: epoch milliseconds (the logs' ts) -> TIMESTAMP in UTC, keeping the
-- milliseconds (the seed's `ts / 1000 * INTERVAL '1 second'` drops them).
CREATE OR REPLACE FUNCTION sparkify_epoch_ms(BIGINT) RETURNS TIMESTAMP
    IMMUTABLE
    AS $$ SELECT TIMESTAMP 'epoch' + $1 / 1000.0 * INTERVAL '1 second' $$
    LANGUAGE sql;
