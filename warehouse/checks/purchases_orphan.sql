-- Reconciliation of purchase events with orders: the purchase events of
-- this run name an order of CORE.
WITH bad AS (
    SELECT e.event_id || '->' || COALESCE(CAST(e.order_id AS VARCHAR), 'NULL') AS k
    FROM changed_events AS e
    WHERE e.event_type = 'purchase'
      AND NOT EXISTS (SELECT 1 FROM core.orders AS o WHERE o.order_id = e.order_id)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
