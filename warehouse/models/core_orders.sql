-- core.orders: one row per chosen cart (see chosen_carts.sql).
-- order_total = sum(quantity * unit_price) over its lines; lines without a
-- known price add nothing (their unit_price is NULL in core.order_items).
-- An order whose cart is no longer chosen (its latest object serves
-- conflicting versions of the id, see source_versions.sql) is deleted, as its
-- lines are by core_order_items.sql.
CREATE OR REPLACE TEMP TABLE src_orders AS
WITH totals AS (
    SELECT cart_id, CAST(sum(quantity * unit_price) AS DECIMAL(18,2)) AS total
    FROM order_lines
    GROUP BY cart_id
)
SELECT c.cart_id                                        AS order_id,
       c.user_id,
       c.status                                         AS order_status,
       CAST(COALESCE(t.total, 0) AS DECIMAL(18,2))      AS order_total,
       c.cart_date                                      AS created_at,
       COALESCE(h.valid_from, c.status_date, c.cart_date) AS status_date
FROM chosen_carts AS c
LEFT JOIN totals AS t ON t.cart_id = c.cart_id
LEFT JOIN order_status_observed AS h ON h.order_id = c.cart_id AND h.valid_to IS NULL;

-- The dates of the orders this run inserts, changes or deletes (old and new
-- dates): their mart partitions are rebuilt (affected_days.sql). Orders are
-- batch corrections, so their days are rebuilt even when final.
CREATE OR REPLACE TEMP TABLE changed_order_days AS
SELECT DISTINCT {{local_date "created_at"}} AS day
FROM (
    (SELECT order_id, user_id, order_status, order_total, created_at FROM src_orders
     EXCEPT
     SELECT order_id, user_id, order_status, order_total, created_at FROM core.orders)
    UNION ALL
    (SELECT order_id, user_id, order_status, order_total, created_at FROM core.orders
     EXCEPT
     SELECT order_id, user_id, order_status, order_total, created_at FROM src_orders)
) AS changed;

MERGE INTO core.orders AS t
USING src_orders AS s
ON t.order_id = s.order_id
WHEN MATCHED AND (t.user_id IS DISTINCT FROM s.user_id
               OR t.order_status IS DISTINCT FROM s.order_status
               OR t.order_total IS DISTINCT FROM s.order_total
               OR t.created_at IS DISTINCT FROM s.created_at
               OR t.status_date IS DISTINCT FROM s.status_date) THEN
    UPDATE SET user_id = s.user_id, order_status = s.order_status,
               order_total = s.order_total, created_at = s.created_at,
               status_date = s.status_date
WHEN NOT MATCHED THEN
    INSERT (order_id, user_id, order_status, order_total, created_at, status_date)
    VALUES (s.order_id, s.user_id, s.order_status, s.order_total, s.created_at, s.status_date)
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
