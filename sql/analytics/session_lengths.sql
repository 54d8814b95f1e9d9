-- Session length distribution: how many songs a listening session has
SELECT bucket, COUNT(*) AS sessions, SUM(plays) AS plays
FROM (
    SELECT plays,
           CASE WHEN plays = 1 THEN '1 song'
                WHEN plays <= 5 THEN '2-5 songs'
                WHEN plays <= 10 THEN '6-10 songs'
                WHEN plays <= 25 THEN '11-25 songs'
                WHEN plays <= 50 THEN '26-50 songs'
                ELSE '51+ songs' END AS bucket,
           CASE WHEN plays = 1 THEN 1 WHEN plays <= 5 THEN 2 WHEN plays <= 10 THEN 3
                WHEN plays <= 25 THEN 4 WHEN plays <= 50 THEN 5 ELSE 6 END AS bucket_order
    FROM (
        SELECT user_id, session_id, COUNT(*) AS plays
        FROM songplays
        GROUP BY user_id, session_id
    ) sessions
) bucketed
GROUP BY bucket, bucket_order
ORDER BY bucket_order
