-- Most played artists of the catalogue
SELECT a.name AS artist, COUNT(*) AS plays, COUNT(DISTINCT p.user_id) AS listeners
FROM songplays p
JOIN artists a ON a.artist_id = p.artist_id
GROUP BY a.name
ORDER BY plays DESC, artist
