-- core.order_refunds: the refunded lines of each order of CORE, as its
-- deciding object (chosen_carts) serves them, each priced at the order's
-- unit price of the product (order_lines: the price in force at the order's
-- created_at; 0 when no snapshot ever listed the product). Recomputed on
-- every run; refunds of orders that leave CORE are deleted.
CREATE OR REPLACE TEMP TABLE src_order_refunds AS
WITH prices AS (
    SELECT cart_id, product_id, min(unit_price) AS unit_price
    FROM order_lines
    GROUP BY cart_id, product_id
)
SELECT c.cart_id AS order_id, f.refund_no, f.refund_date, f.product_id, f.quantity,
       CAST(f.quantity * COALESCE(p.unit_price, 0) AS DECIMAL(18,2)) AS amount
FROM chosen_carts AS c
JOIN staging.fakestore_cart_refunds AS f ON f.raw_key = c.raw_key AND f.cart_row_no = c.row_no
LEFT JOIN prices AS p ON p.cart_id = c.cart_id AND p.product_id = f.product_id;

MERGE INTO core.order_refunds AS t
USING src_order_refunds AS s
ON t.order_id = s.order_id AND t.refund_no = s.refund_no
WHEN MATCHED AND (t.refund_date IS DISTINCT FROM s.refund_date
               OR t.product_id IS DISTINCT FROM s.product_id
               OR t.quantity IS DISTINCT FROM s.quantity
               OR t.amount IS DISTINCT FROM s.amount) THEN
    UPDATE SET refund_date = s.refund_date, product_id = s.product_id, quantity = s.quantity, amount = s.amount
WHEN NOT MATCHED THEN
    INSERT (order_id, refund_no, refund_date, product_id, quantity, amount)
    VALUES (s.order_id, s.refund_no, s.refund_date, s.product_id, s.quantity, s.amount)
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
