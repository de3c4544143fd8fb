-- $1 logical_date, $2 the new run's id, $3 its started_at, $4 the reason:
-- close the earlier runs of the date still running (their process died, or
-- runs concurrently: see ingest.Ledger.BeginRun) as failed.
UPDATE meta.ingest_runs
SET status = 'failed', finished_at = CAST($3 AS TIMESTAMP), error = $4
WHERE logical_date = CAST($1 AS DATE) AND status = 'running' AND run_id < $2
RETURNING run_id;
