-- audit_state: one row while the star schema and staging, as they stand, passed every check
-- of the audited run that built them (when it passed). Every build empties it first (and so
-- does staging on its own), and only a run whose checks all pass writes it again: so an
-- incremental run may check only the rows it changed (the rest passed and did not change)
-- exactly when this table holds a row.
CREATE TABLE IF NOT EXISTS audit_state (
    passed_at  TIMESTAMP NOT NULL
);
