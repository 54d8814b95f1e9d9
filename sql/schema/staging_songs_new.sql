-- staging_songs_new: the rows this run staged into staging_songs, until the star schema has been
-- updated from them (then they move to staging_songs). Empty between runs. Same columns as
-- staging_songs, in the same order (a test keeps them equal).
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS staging_songs_new (
    num_songs        INTEGER,
    artist_id        VARCHAR(32),
    artist_latitude  DOUBLE PRECISION,
    artist_longitude DOUBLE PRECISION,
    artist_location  VARCHAR(512),
    artist_name      VARCHAR(512),
    song_id          VARCHAR(32),
    title            VARCHAR(512),
    duration         DOUBLE PRECISION,
    year             INTEGER
);
