-- songs: one row per song_id. When several records share an id, the first by
-- (title, artist_id, year, duration) wins, so every engine picks the same one.
DELETE FROM songs;
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
) ranked
WHERE pick = 1;
