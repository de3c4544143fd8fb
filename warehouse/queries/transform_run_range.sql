-- How many runs are recorded, and the first and last run ids.
SELECT count(*), COALESCE(min(run_id), 0), COALESCE(max(run_id), 0) FROM meta.transform_runs;
