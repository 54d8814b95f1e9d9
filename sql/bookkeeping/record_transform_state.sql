-- Records what built the star schema (see sql/schema/transform_state.sql). What is built now
-- has not been checked yet (sql/schema/audit_state.sql).
DELETE FROM audit_state;
DELETE FROM transform_state;
INSERT INTO transform_state (transform_hash, sparkify_version, built_at)
VALUES (:'hash', :'version', CAST(:'now' AS TIMESTAMP));
