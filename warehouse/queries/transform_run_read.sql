-- $1 run_id (0: the latest attempt): one row of meta.transform_runs.
SELECT run_id, mode, status, phase, error, finished_at
FROM meta.transform_runs
WHERE run_id = CASE WHEN $1 = 0 THEN (SELECT max(run_id) FROM meta.transform_runs) ELSE $1 END;
