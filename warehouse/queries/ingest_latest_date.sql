-- The latest logical date that some ingestion run committed (NULL if none).
SELECT max(logical_date) FROM meta.ingest_runs WHERE status IN ('committed', 'unchanged');
