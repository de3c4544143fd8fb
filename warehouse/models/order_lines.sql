-- order_lines (temporary): the lines of every chosen cart (chosen_carts.sql),
-- priced. Read by core_orders and core_order_items.
--
-- unit_price: the price of the product's version (core.product_prices, see
-- core_product_prices.sql) in force at the order's created_at, that is the
-- latest version with valid_from <= created_at; if the order is older than
-- every version of the product, the earliest version. NULL if no snapshot
-- ever listed the product.
CREATE OR REPLACE TEMP TABLE order_lines AS
WITH lines AS (
    SELECT c.cart_id, c.user_id, c.status, c.cart_date, i.line_no, i.product_id, i.quantity
    FROM chosen_carts AS c
    JOIN staging.fakestore_cart_items AS i
      ON i.raw_key = c.raw_key AND i.cart_row_no = c.row_no
),
priced AS (
    SELECT l.*, v.price,
           row_number() OVER (
               PARTITION BY l.cart_id, l.line_no
               ORDER BY CASE WHEN v.valid_from <= l.cart_date THEN v.valid_from END DESC NULLS LAST,
                        v.valid_from ASC) AS prn
    FROM lines AS l
    LEFT JOIN core.product_prices AS v ON v.product_id = l.product_id
)
SELECT cart_id, user_id, status, cart_date, line_no, product_id, quantity,
       CAST(price AS DECIMAL(18,2)) AS unit_price
FROM priced
WHERE prn = 1;
