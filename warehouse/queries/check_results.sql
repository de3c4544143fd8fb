-- $1 run_id: the run's check results (none for a failed run: its checks
-- did not run, or ran in the transaction that rolled back).
SELECT check_name, severity, status, failures, detail
FROM meta.check_results
WHERE run_id = $1
ORDER BY check_name;
