-- Helpers the transforms call, defined per dialect so the transforms themselves stay common.
-- sparkify_epoch_ms: epoch milliseconds (the logs' ts) -> TIMESTAMP in UTC.
CREATE OR REPLACE FUNCTION sparkify_epoch_ms(ms BIGINT) RETURNS TIMESTAMP
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT TIMESTAMP '1970-01-01 00:00:00' + ms * INTERVAL '1 millisecond' $$;
