-- songs (Redshift): the largest dimension, distributed on song_id like songplays so their
-- join needs no data movement.
CREATE TABLE IF NOT EXISTS songs (
    song_id    VARCHAR(32) NOT NULL,
    title      VARCHAR(512),
    artist_id  VARCHAR(32),
    year       INTEGER,
    duration   DOUBLE PRECISION,
    PRIMARY KEY (song_id)
)
DISTKEY (song_id)
SORTKEY (song_id);
