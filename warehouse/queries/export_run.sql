-- The last promoted Transform run, whose marts ExportMarts exports: its id
-- and the as_of it was given (NULL when none; see export_horizon.sql).
SELECT run_id, as_of
FROM meta.transform_runs
WHERE status = 'promoted'
ORDER BY run_id DESC
LIMIT 1;
