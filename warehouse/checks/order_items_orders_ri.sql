-- Referential integrity: every order line belongs to an order of CORE.
WITH bad AS (
    SELECT i.order_item_id AS k
    FROM core.order_items AS i
    WHERE NOT EXISTS (SELECT 1 FROM core.orders AS o WHERE o.order_id = i.order_id)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
