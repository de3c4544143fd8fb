-- Volume against the recent norm: the events this run adds are within half
-- and twice the average of the last 7 promoted incremental runs that added
-- events. Skipped on a full refresh, with fewer than 3 such runs, and on a
-- run that adds no events (a rerun; a stalled source is freshness's to flag).
WITH r AS (SELECT mode FROM transform_run),
recent AS (
    SELECT events_in
    FROM meta.transform_runs
    WHERE status = 'promoted' AND mode <> 'full_refresh' AND events_in > 0
    ORDER BY run_id DESC
    LIMIT 7
),
norm AS (SELECT count(*) AS runs, avg(events_in) AS avg_in FROM recent),
batch AS (SELECT count(*) AS n FROM changed_events)
SELECT CASE WHEN r.mode = 'full_refresh' OR norm.runs < 3 OR batch.n = 0 THEN 0
            WHEN batch.n < norm.avg_in / 2 OR batch.n > norm.avg_in * 2 THEN 1
            ELSE 0 END,
       CAST(batch.n AS VARCHAR) || ' events, recent average ' || COALESCE(CAST(CAST(norm.avg_in AS BIGINT) AS VARCHAR), 'none')
           || ' over ' || CAST(norm.runs AS VARCHAR) || ' runs',
       CASE WHEN r.mode = 'full_refresh' THEN 'full refresh'
            WHEN norm.runs < 3 THEN 'fewer than 3 earlier runs'
            WHEN batch.n = 0 THEN 'no new events' END
FROM r CROSS JOIN norm CROSS JOIN batch;
