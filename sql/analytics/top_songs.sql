-- Most played songs of the catalogue, with their artist
SELECT s.title AS song, a.name AS artist, COUNT(*) AS plays
FROM songplays p
JOIN songs s ON s.song_id = p.song_id
LEFT JOIN artists a ON a.artist_id = p.artist_id
GROUP BY s.title, a.name
ORDER BY plays DESC, song, artist
