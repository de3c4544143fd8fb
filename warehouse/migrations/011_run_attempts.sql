-- Every Transform attempt is a row of meta.transform_runs, not only the
-- promoted and blocked ones: a run whose load or transform failed is
-- recorded as failed, in a transaction of its own after the run's
-- transaction rolled back, so that shoplake check sees the failure instead
-- of the last good run.
--   status       promoted, blocked, or failed (new)
--   phase        where the run ended: load (loading RAW into STAGING failed,
--                nothing was transformed) or transform (the models and
--                checks ran, or failed)
--   error        why a failed run failed; for a blocked run, the failing
--                blocking checks; NULL for a promoted run
--   finished_at  when the attempt ended, from the warehouse's clock
--                (Options.Clock: simulated in tests and the demo); NULL
--                when the warehouse was opened without one, and for the
--                runs recorded before this migration
-- A failed run's counters are 0 and its max_event_time and watermark NULL:
-- the next run starts from the last promoted run, as before.
ALTER TABLE meta.transform_runs ADD COLUMN phase VARCHAR;
ALTER TABLE meta.transform_runs ADD COLUMN error VARCHAR;
ALTER TABLE meta.transform_runs ADD COLUMN finished_at TIMESTAMP;
UPDATE meta.transform_runs SET phase = 'transform';
