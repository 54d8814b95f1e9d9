-- Staging changed without the star schema (a load on its own): the next run must rebuild it,
-- and what is staged now has not been checked (sql/schema/audit_state.sql).
DELETE FROM transform_state;
DELETE FROM audit_state;
