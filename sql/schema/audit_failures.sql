-- audit_failures: the data-quality rules the last audited run failed, with up to 20 sample rows
-- each (one row per sample; sample is NULL for a rule that counts rather than lists rows).
-- Written on its own after a run that was not published, or with the run published anyway;
-- a run whose checks pass empties it.
CREATE TABLE IF NOT EXISTS audit_failures (
    table_name   VARCHAR(128) NOT NULL,
    rule         VARCHAR(256) NOT NULL,
    violations   BIGINT NOT NULL,
    sample       VARCHAR(4096),
    recorded_at  TIMESTAMP NOT NULL
);
