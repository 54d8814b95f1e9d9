-- songs (dimension): one row per song_id in the catalogue.
-- check: unique song_id
-- check: not_null song_id, title
-- check: expect duration > 0
-- check: warn expect year BETWEEN 1900 AND CAST(:'next_year' AS INTEGER)
-- changed: song_id IN (SELECT song_id FROM staging_songs_new)
-- On Redshift the largest dimension, distributed on song_id like songplays so their join needs
-- no data movement.
-- redshift: DISTKEY (song_id)
-- redshift: SORTKEY (song_id)
CREATE TABLE IF NOT EXISTS songs (
    song_id    VARCHAR(32) NOT NULL,
    title      VARCHAR(512),
    artist_id  VARCHAR(32),
    year       INTEGER,           -- NULL where the catalogue says 0 (unknown)
    duration   DOUBLE PRECISION,
    PRIMARY KEY (song_id)
);
