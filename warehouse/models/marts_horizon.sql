-- run_params.as_of, the horizon of the marts that depend on elapsed time
-- (cohort retention, LTV; docs/MARTS.md §0). Transform sets it from
-- TransformOptions.AsOf; when the run gave none, it is the UTC midnight after
-- the latest order created_at or event_time in CORE, as the oracle does for
-- a World without a configured end. With neither, it stays NULL and those
-- marts are empty.
UPDATE run_params
SET as_of = (
    SELECT CAST(CAST(max(t) AS DATE) + 1 AS TIMESTAMP)
    FROM (
        SELECT max(created_at) AS t FROM core.orders
        UNION ALL
        SELECT max(event_time) FROM core.events
    ) AS latest
)
WHERE as_of IS NULL;
