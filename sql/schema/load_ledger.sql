-- load_ledger: one row per file loaded into a staging table, written in the same transaction
-- as the file's rows, so rows never exist without their ledger entry or the reverse.
-- check: unique table_name, file
-- check: not_null table_name, file, rows_read, rows_loaded, rows_rejected
CREATE TABLE IF NOT EXISTS load_ledger (
    table_name     VARCHAR(128) NOT NULL,
    file           VARCHAR(2048) NOT NULL,
    size_bytes     BIGINT NOT NULL,
    version        VARCHAR(256),
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    loaded_at      TIMESTAMP NOT NULL
);
