-- order_lines (temporary): the lines of every chosen cart (chosen_carts.sql),
-- priced. Read by core_orders and core_order_items.
--
-- unit_price: the product's price in its latest snapshot whose date is on or
-- before the order's UTC date; if every snapshot of the product is later,
-- the earliest one. NULL if no snapshot ever listed the product.
CREATE OR REPLACE TEMP TABLE order_lines AS
WITH lines AS (
    SELECT c.cart_id, c.user_id, c.status, c.cart_date, i.line_no, i.product_id, i.quantity
    FROM chosen_carts AS c
    JOIN staging.fakestore_cart_items AS i
      ON i.raw_key = c.raw_key AND i.cart_row_no = c.row_no
),
priced AS (
    SELECT l.*, p.price,
           row_number() OVER (
               PARTITION BY l.cart_id, l.line_no
               ORDER BY CASE WHEN p.snapshot_date <= CAST(l.cart_date AS DATE) THEN 0 ELSE 1 END,
                        CASE WHEN p.snapshot_date <= CAST(l.cart_date AS DATE) THEN p.snapshot_date END DESC NULLS LAST,
                        p.snapshot_date ASC,
                        p.raw_key DESC,
                        p.row_no DESC) AS prn
    FROM lines AS l
    LEFT JOIN staging.fakestore_products AS p ON p.product_id = l.product_id
)
SELECT cart_id, user_id, status, cart_date, line_no, product_id, quantity,
       CAST(price AS DECIMAL(18,2)) AS unit_price
FROM priced
WHERE prn = 1;
