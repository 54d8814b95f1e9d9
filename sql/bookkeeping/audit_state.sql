-- Whether the warehouse as it stands passed every check (see sql/schema/audit_state.sql).
SELECT COUNT(*) FROM audit_state
