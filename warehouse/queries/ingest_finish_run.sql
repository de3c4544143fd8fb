-- $1 run_id, $2 status, $3 finished_at, $4 requests, $5 retries, $6 error.
-- Only a running run can finish; the caller checks one row changed.
UPDATE meta.ingest_runs
SET status = $2, finished_at = CAST($3 AS TIMESTAMP), requests = $4, retries = $5, error = $6
WHERE run_id = $1 AND status = 'running';
