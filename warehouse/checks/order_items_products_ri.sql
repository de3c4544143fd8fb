-- Referential integrity: every order line names a product of CORE (else
-- it has no price and adds nothing to its order's total).
WITH bad AS (
    SELECT i.order_item_id || '->' || CAST(i.product_id AS VARCHAR) AS k
    FROM core.order_items AS i
    WHERE NOT EXISTS (SELECT 1 FROM core.products AS p WHERE p.product_id = i.product_id)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
