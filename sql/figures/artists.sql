-- Artists in the catalogue.
SELECT COUNT(*) FROM artists
