-- Not null: the values every event needs, its dimensions (the load writes
-- 'unknown' for one it did not get; migration 020 could not declare them
-- NOT NULL on every engine), product_id for product and cart events,
-- order_id for purchases. Over the events this run inserts or
-- replaces (changed_events).
WITH bad AS (
    SELECT event_id AS k
    FROM changed_events
    WHERE event_id IS NULL OR event_type IS NULL OR event_time IS NULL OR ingestion_time IS NULL
       OR session_id IS NULL
       OR device_type IS NULL OR device_os IS NULL OR device_browser IS NULL OR channel IS NULL
       OR utm_source IS NULL OR utm_medium IS NULL OR utm_campaign IS NULL OR referrer_host IS NULL
       OR page_path IS NULL OR country IS NULL
       OR (event_type IN ('product_view', 'add_to_cart', 'remove_from_cart') AND product_id IS NULL)
       OR (event_type = 'purchase' AND order_id IS NULL)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
