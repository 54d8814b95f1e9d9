-- Song plays that found their song in the catalogue.
SELECT COUNT(*) FROM songplays WHERE song_id IS NOT NULL
