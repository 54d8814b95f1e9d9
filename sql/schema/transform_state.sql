-- transform_state: what built the star schema: a hash of the transform SQL, the sparkify
-- version and when. A run whose transform SQL hashes otherwise (another sparkify version)
-- rebuilds the star schema instead of updating it; no row means it must be rebuilt too.
CREATE TABLE IF NOT EXISTS transform_state (
    transform_hash    VARCHAR(64) NOT NULL,
    sparkify_version  VARCHAR(64) NOT NULL,
    built_at          TIMESTAMP NOT NULL
);
