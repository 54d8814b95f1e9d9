-- The session-level advisory lock that keeps two sparkify runs from loading one PostgreSQL
-- database at once; it ends with the connection, also when the process holding it is killed.
-- The key spells "SPKFY1" (0x53504b465931).
SELECT pg_try_advisory_lock(91604325390641);
