-- TEST-ONLY migration: a column with a default on a table that has rows.
ALTER TABLE sites ADD COLUMN greeting VARCHAR(500) NOT NULL DEFAULT 'Hello!'
;
