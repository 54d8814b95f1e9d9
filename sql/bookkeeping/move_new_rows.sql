-- Moves the rows this run staged into :new_table on into :table (the columns are the same, in
-- the same order), where every later transform reads them.
INSERT INTO :table SELECT * FROM :new_table;
