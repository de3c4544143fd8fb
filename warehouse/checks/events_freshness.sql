-- Freshness: the newest event in CORE arrived (ingestion_time) within a day
-- of as_of, the end of the observed range. Skipped when the run has no
-- as_of.
WITH r AS (SELECT as_of FROM transform_run),
newest AS (SELECT max(ingestion_time) AS t FROM core.events)
SELECT CASE WHEN r.as_of IS NULL THEN 0
            WHEN n.t IS NULL OR n.t < r.as_of - INTERVAL '1 day' THEN 1
            ELSE 0 END,
       'newest ingestion_time ' || COALESCE(CAST(n.t AS VARCHAR), 'none') || ', as_of ' || COALESCE(CAST(r.as_of AS VARCHAR), 'none'),
       CASE WHEN r.as_of IS NULL THEN 'no as_of' END
FROM r CROSS JOIN newest AS n;
