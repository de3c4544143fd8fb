-- The next run id, the last load_seq in staging, and the last promoted
-- run's to_load_seq, max_event_time and watermark (NULLs when none).
SELECT (SELECT COALESCE(max(run_id), 0) + 1 FROM meta.transform_runs),
       (SELECT COALESCE(max(load_seq), 0) FROM meta.loaded_objects),
       p.to_load_seq, p.max_event_time, p.watermark
FROM (SELECT 1 AS one) AS x
LEFT JOIN (
    SELECT to_load_seq, max_event_time, watermark
    FROM meta.transform_runs
    WHERE status = 'promoted'
    ORDER BY run_id DESC
    LIMIT 1
) AS p ON TRUE;
