-- songplays (fact): one row per NextSong event, matched to the song catalogue on
-- song title + artist name + duration; song_id and artist_id stay NULL when nothing matches.
-- check: unique songplay_id
-- check: not_null songplay_id, start_time, user_id
-- check: references user_id users.user_id
-- check: references song_id songs.song_id
-- check: references artist_id artists.artist_id
-- check: references start_time time.start_time
CREATE TABLE IF NOT EXISTS songplays (
    songplay_id  BIGINT NOT NULL,
    start_time   TIMESTAMP NOT NULL,
    user_id      INTEGER NOT NULL,
    level        VARCHAR(16),
    song_id      VARCHAR(32),
    artist_id    VARCHAR(32),
    session_id   INTEGER,
    location     VARCHAR(512),
    user_agent   VARCHAR(1024),
    PRIMARY KEY (songplay_id)
);
