-- artists (dimension): one row per artist_id in the catalogue.
-- check: unique artist_id
-- check: not_null artist_id, name
-- changed: artist_id IN (SELECT artist_id FROM staging_songs_new)
-- On Redshift small: a copy on every node.
-- redshift: DISTSTYLE ALL
-- redshift: SORTKEY (artist_id)
CREATE TABLE IF NOT EXISTS artists (
    artist_id  VARCHAR(32) NOT NULL,
    name       VARCHAR(512),
    location   VARCHAR(512),      -- NULL where the catalogue has an empty string
    latitude   DOUBLE PRECISION,
    longitude  DOUBLE PRECISION,
    PRIMARY KEY (artist_id)
);
