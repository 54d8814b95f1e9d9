-- staging_songs: the song metadata as loaded, one row per JSON record (one file per song).
-- Column names equal the JSON keys, so COPY ... JSON 'auto' fills them.
-- On Redshift spread evenly, like the events.
-- redshift: DISTSTYLE EVEN
CREATE TABLE IF NOT EXISTS staging_songs (
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
