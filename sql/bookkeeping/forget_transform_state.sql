-- Staging changed without the star schema (a load on its own): the next run must rebuild it.
DELETE FROM transform_state;
