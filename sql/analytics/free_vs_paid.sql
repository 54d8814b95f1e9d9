-- Free vs paid: plays, listeners and share of plays by subscription level at play time
SELECT level,
       COUNT(*) AS plays,
       COUNT(DISTINCT user_id) AS users,
       ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 2) AS pct_of_plays
FROM songplays
GROUP BY level
ORDER BY plays DESC, level
