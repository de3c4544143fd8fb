-- Days that late events touched and that no run has rebuilt yet
-- (meta.backfill_queue, done_run NULL): their rows of the partition marts
-- (daily_kpis, session_funnel) do not count those events, while the marts
-- rebuilt in full do. An incremental run rebuilds at most its backfill
-- limit of them, oldest first; `shoplake transform --backfill` rebuilds
-- every one.
WITH pending AS (
    SELECT day FROM meta.backfill_queue WHERE done_run IS NULL
)
SELECT (SELECT count(*) FROM pending),
       (SELECT string_agg(CAST(day AS VARCHAR), ', ' ORDER BY day) FROM (SELECT day FROM pending ORDER BY day LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
