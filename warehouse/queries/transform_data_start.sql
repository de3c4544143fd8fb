-- The earliest instant of what the warehouse holds to transform: the first
-- event_time in STAGING, and the first logical date (its midnight) of a
-- FakeStore snapshot in STAGING or of a date the ingestion ledger
-- completed. NULL when there is nothing. Transform refuses an as-of at or
-- before it: the whole warehouse would be in the future.
SELECT min(t) FROM (
    SELECT min(event_time) AS t FROM staging.events
    UNION ALL SELECT CAST(min(snapshot_date) AS TIMESTAMP) FROM staging.fakestore_users
    UNION ALL SELECT CAST(min(snapshot_date) AS TIMESTAMP) FROM staging.fakestore_products
    UNION ALL SELECT CAST(min(snapshot_date) AS TIMESTAMP) FROM staging.fakestore_carts
    UNION ALL SELECT CAST(min(logical_date) AS TIMESTAMP) FROM meta.ingest_runs WHERE status IN ('committed', 'unchanged')
) AS s;
