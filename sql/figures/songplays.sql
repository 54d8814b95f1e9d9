-- Song plays.
SELECT COUNT(*) FROM songplays
