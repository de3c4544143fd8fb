-- Accepted values: every order's status is one the marts know.
WITH bad AS (
    SELECT order_id, CAST(order_id AS VARCHAR) || '=' || order_status AS k
    FROM core.orders
    WHERE order_status NOT IN ('completed', 'cancelled', 'refunded', 'pending')
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY order_id) FROM (SELECT order_id, k FROM bad ORDER BY order_id LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
