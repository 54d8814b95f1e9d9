-- artists: one row per artist_id. Records of the same artist can disagree (one song file has
-- coordinates, another not): prefer the most complete record, then the first name
-- alphabetically, then the lowest song_id, so the choice is deterministic.
DELETE FROM artists;
INSERT INTO artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, artist_name, NULLIF(TRIM(artist_location), ''), artist_latitude, artist_longitude
FROM (
    SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude,
           ROW_NUMBER() OVER (
               PARTITION BY artist_id
               ORDER BY CASE WHEN artist_latitude IS NULL OR artist_longitude IS NULL THEN 1 ELSE 0 END,
                        CASE WHEN artist_location IS NULL OR TRIM(artist_location) = '' THEN 1 ELSE 0 END,
                        artist_name NULLS LAST, artist_location NULLS LAST, song_id NULLS LAST
           ) AS pick
    FROM staging_songs
    WHERE artist_id IS NOT NULL AND artist_id <> ''
) ranked
WHERE pick = 1;
