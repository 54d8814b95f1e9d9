-- songs, from this run's song records only: every song_id they name is picked again from all
-- its staged records, as sql/transform/songs.sql picks it.
DELETE FROM songs WHERE song_id IN (SELECT song_id FROM staging_songs_new);
INSERT INTO songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, NULLIF(year, 0), duration
FROM (
    SELECT song_id, title, artist_id, year, duration,
           ROW_NUMBER() OVER (
               PARTITION BY song_id
               ORDER BY title NULLS LAST, artist_id NULLS LAST, year NULLS LAST, duration NULLS LAST
           ) AS pick
    FROM staging_songs
    WHERE song_id IS NOT NULL AND song_id <> ''
      AND song_id IN (SELECT song_id FROM staging_songs_new)
) ranked
WHERE pick = 1;
