-- $1 logical_date: every run of the date, oldest first, with the carts
-- its objects dropped as outside the date.
SELECT r.run_id, r.logical_date, r.attempt, r.status, r.requests, r.retries, r.started_at, r.finished_at, r.error,
       (SELECT CAST(COALESCE(sum(o.outside_date), 0) AS BIGINT) FROM meta.ingest_objects AS o WHERE o.run_id = r.run_id)
FROM meta.ingest_runs AS r
WHERE r.logical_date = CAST($1 AS DATE)
ORDER BY r.run_id;
