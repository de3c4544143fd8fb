-- Reconciliation of orders with purchase events: the orders of the dates
-- this run rebuilds are named by a purchase event (else tracking lost them).
WITH bad AS (
    SELECT o.order_id, CAST(o.order_id AS VARCHAR) AS k
    FROM core.orders AS o
    WHERE {{local_date "o.created_at"}} IN (SELECT day FROM affected_days)
      AND NOT EXISTS (SELECT 1 FROM core.events AS e WHERE e.event_type = 'purchase' AND e.order_id = o.order_id)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY order_id) FROM (SELECT order_id, k FROM bad ORDER BY order_id LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
