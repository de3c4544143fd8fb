-- $1 run_id (0: the latest run): the run and its check results.
SELECT r.run_id, r.mode, r.status, c.check_name, c.severity, c.status, c.failures, c.detail
FROM meta.transform_runs AS r
JOIN meta.check_results AS c ON c.run_id = r.run_id
WHERE r.run_id = CASE WHEN $1 = 0 THEN (SELECT max(run_id) FROM meta.transform_runs) ELSE $1 END
ORDER BY c.check_name;
