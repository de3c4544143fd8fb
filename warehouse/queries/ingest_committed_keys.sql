-- $1 logical_date: the keys some run committed for the date.
SELECT DISTINCT object_key FROM meta.ingest_objects
WHERE logical_date = CAST($1 AS DATE) AND status = 'committed';
