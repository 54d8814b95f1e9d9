-- The hash of the transform SQL the star schema was last built with, and by which version.
SELECT transform_hash, sparkify_version FROM transform_state
