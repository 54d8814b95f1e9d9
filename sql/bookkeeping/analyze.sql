-- PostgreSQL after a staging load: fresh planner statistics, or the staged plays are joined
-- to the catalogue with a nested loop (seconds on 10k events, hours on millions).
ANALYZE :table;
