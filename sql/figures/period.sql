-- First and last song play.
SELECT MIN(start_time), MAX(start_time) FROM songplays
