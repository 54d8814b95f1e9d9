-- load_errors: every row a load rejected, like Redshift's STL_LOAD_ERRORS.
-- Kept even when a load fails for exceeding --max-errors, so the cause can be found.
CREATE TABLE IF NOT EXISTS load_errors (
    table_name   VARCHAR(128) NOT NULL,
    file         VARCHAR(2048) NOT NULL,
    line         BIGINT NOT NULL,
    column_name  VARCHAR(128),
    column_type  VARCHAR(64),
    raw_value    VARCHAR(1024),
    raw_line     VARCHAR(4096),
    reason       VARCHAR(1024) NOT NULL,
    logged_at    TIMESTAMP NOT NULL
);
