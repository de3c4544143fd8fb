-- $1 logical_date, $2 started_at: a new run, its id from the sequence and
-- its attempt number among the date's runs.
INSERT INTO meta.ingest_runs (run_id, logical_date, attempt, status, started_at)
SELECT nextval('meta.ingest_run_id'), CAST($1 AS DATE),
       (SELECT count(*) + 1 FROM meta.ingest_runs WHERE logical_date = CAST($1 AS DATE)),
       'running', CAST($2 AS TIMESTAMP)
RETURNING run_id, attempt;
