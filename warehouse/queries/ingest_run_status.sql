-- $1 run_id: its status and error (no row for an unknown run).
SELECT status, error FROM meta.ingest_runs WHERE run_id = $1;
