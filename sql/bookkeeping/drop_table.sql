-- Drops one of sparkify's tables (create --drop).
DROP TABLE IF EXISTS :table
