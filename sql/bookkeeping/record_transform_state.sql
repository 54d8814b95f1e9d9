-- Records what built the star schema (see sql/schema/transform_state.sql).
DELETE FROM transform_state;
INSERT INTO transform_state (transform_hash, sparkify_version, built_at)
VALUES (:'hash', :'version', CAST(:'now' AS TIMESTAMP));
