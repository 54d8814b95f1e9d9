-- runs: one row per `run` or `etl`, the run history. A run that publishes writes its row in
-- its own transaction, so the row exists exactly when the run was committed; a run that was
-- rolled back (checks failed, a rejected load, an error, Ctrl-C) writes its row afterwards in a
-- transaction of its own, as audit_failures and load_errors are kept. Counts are what the run
-- staged, also when it was rolled back; checks_* are NULL for `etl`, which does not audit.
-- status: published, checks_failed, rejected_load, error or interrupted.
-- build: incremental or rebuild (NULL when the run failed before deciding), rebuild_reason why.
CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR(64) NOT NULL,
    command           VARCHAR(16) NOT NULL,
    status            VARCHAR(32) NOT NULL,
    started           TIMESTAMP NOT NULL,
    finished          TIMESTAMP NOT NULL,
    build             VARCHAR(16),
    rebuild_reason    VARCHAR(1024),
    files_staged      BIGINT NOT NULL,
    rows_staged       BIGINT NOT NULL,
    rows_rejected     BIGINT NOT NULL,
    checks_passed     INTEGER,
    checks_failed     INTEGER,
    checks_warned     INTEGER,
    sparkify_version  VARCHAR(64) NOT NULL,
    engine            VARCHAR(16) NOT NULL,
    error             VARCHAR(4096)
);
