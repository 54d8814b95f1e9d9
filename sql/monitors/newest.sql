-- The newest value of a column of epoch milliseconds (freshness).
SELECT MAX(:column) FROM :table;
