-- Song plays by paid subscribers (level at play time).
SELECT COUNT(*) FROM songplays WHERE level = 'paid'
