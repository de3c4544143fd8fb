-- Carts a source served outside the logical date asked for (it ignored
-- startdate/enddate) and ingest --filter-carts-by-date dropped
-- (ingest.Object.OutsideDate): recorded with the carts object of the run,
-- so that the ledger says the date's list was filtered and by how many.
-- 0 for every other object, and for the objects recorded before this
-- migration. Without the filter such a list fails the run, recorded as
-- failed with the error, which says how many carts and which dates.
ALTER TABLE meta.ingest_objects ADD COLUMN outside_date BIGINT DEFAULT 0;
