-- Run at the start of every PostgreSQL session: a server or database configured with
-- standard_conforming_strings = off reads backslashes inside literals as escapes, which the
-- few literals sparkify writes (and every SQL file) do not expect. Values are bound anyway.
SET standard_conforming_strings = on;
