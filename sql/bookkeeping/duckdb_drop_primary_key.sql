-- DuckDB only: rebuilds :table, which an older sparkify created with a PRIMARY KEY, without it
-- (ALTER TABLE cannot drop a key in DuckDB), in the run's transaction. Between the first
-- statement and the rest, today's DDL (sql/schema/, keyless on DuckDB) creates :table again;
-- its rows move over as they are.
ALTER TABLE :table RENAME TO :old;
INSERT INTO :table SELECT * FROM :old;
DROP TABLE :old
