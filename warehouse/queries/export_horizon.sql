-- The as_of a run given none used (models/marts_horizon.sql): the UTC
-- midnight after the latest order created_at or event_time in CORE. CORE
-- has not moved since the last promoted run, so this is that run's value;
-- NULL when CORE is empty.
SELECT CAST(CAST(max(t) AS DATE) + 1 AS TIMESTAMP)
FROM (
    SELECT max(created_at) AS t FROM core.orders
    UNION ALL
    SELECT max(event_time) FROM core.events
) AS latest;
