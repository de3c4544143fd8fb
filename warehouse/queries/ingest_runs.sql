-- $1 logical_date: every run of the date, oldest first.
SELECT run_id, logical_date, attempt, status, requests, retries, started_at, finished_at, error
FROM meta.ingest_runs
WHERE logical_date = CAST($1 AS DATE)
ORDER BY run_id;
