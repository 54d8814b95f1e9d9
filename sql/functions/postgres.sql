-- Helpers the transforms call, defined per dialect so the transforms themselves stay common.
-- sparkify_epoch_ms: epoch milliseconds (the logs' ts) -> TIMESTAMP in UTC. Whole days plus the
-- milliseconds of the day: `ms * INTERVAL '1 millisecond'` alone multiplies in floating point
-- and is microseconds off after the year 2255 (9999-12-31 23:59:59.999008), where DuckDB's
-- epoch_ms is exact. The loader keeps ts within the years 1 to 9999 (src/copy/domain.rs).
-- PARALLEL SAFE: it reads nothing but its argument; a function not marked so (the default)
-- keeps every query that calls it out of parallel plans
-- (sql/postgres/transform/users_history.sql).
CREATE OR REPLACE FUNCTION sparkify_epoch_ms(ms BIGINT) RETURNS TIMESTAMP
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT TIMESTAMP '1970-01-01 00:00:00' + (ms / 86400000) * INTERVAL '1 day'
                 + (ms % 86400000) * INTERVAL '1 millisecond' $$;
