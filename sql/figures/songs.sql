-- Songs in the catalogue.
SELECT COUNT(*) FROM songs
