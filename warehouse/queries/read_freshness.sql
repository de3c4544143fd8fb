-- How recent CORE is: the newest event_time and ingestion_time of
-- core.events (NULLs when it is empty), and the last promoted run's id,
-- watermark and end (NULLs when no run was promoted).
SELECT e.newest_event, e.newest_arrival, p.run_id, p.watermark, p.finished_at
FROM (SELECT max(event_time) AS newest_event, max(ingestion_time) AS newest_arrival FROM core.events) AS e
LEFT JOIN (
    SELECT run_id, watermark, finished_at
    FROM meta.transform_runs
    WHERE status = 'promoted'
    ORDER BY run_id DESC
    LIMIT 1
) AS p ON TRUE;
