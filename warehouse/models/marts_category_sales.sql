-- marts.category_sales, rebuilt on every run after marts.product_sales. The
-- oracle's definition (docs/MARTS.md §13): product_sales summed by (date,
-- category), but orders_placed, which counts the distinct orders created
-- that day with at least one line of a product of the category (an order
-- of two products of one category counts once), read from CORE as
-- product_sales finds the lines and the category (core.products.category,
-- '' when missing or when core.products does not list the product).
-- net_sales_rank is ROW_NUMBER within the date by net_sales descending,
-- then category ascending, bytewise (the engines collate "C").
DELETE FROM marts.category_sales;

INSERT INTO marts.category_sales
    (date, category, orders_placed, units_sold, gross_sales, cancelled_units, cancelled_sales,
     refunded_units, refunds, net_units, net_sales, net_sales_rank)
WITH orders AS (
    SELECT o.day, COALESCE(p.category, '') AS category,
           count(DISTINCT o.order_id) AS orders
    FROM (SELECT order_id, {{local_date "created_at"}} AS day FROM core.orders) AS o
    JOIN core.order_items AS i ON i.order_id = o.order_id
    LEFT JOIN core.products AS p ON p.product_id = i.product_id
    GROUP BY o.day, COALESCE(p.category, '')
),
sales AS (
    SELECT date AS day, category,
           sum(units_sold) AS units, sum(gross_sales) AS gross,
           sum(cancelled_units) AS cancelled_units, sum(cancelled_sales) AS cancelled,
           sum(refunded_units) AS refunded_units, sum(refunds) AS refunds
    FROM marts.product_sales
    GROUP BY date, category
)
SELECT s.day, s.category,
       CAST(COALESCE(o.orders, 0) AS BIGINT),
       CAST(s.units AS BIGINT),
       CAST(s.gross AS DECIMAL(18,2)),
       CAST(s.cancelled_units AS BIGINT),
       CAST(s.cancelled AS DECIMAL(18,2)),
       CAST(s.refunded_units AS BIGINT),
       CAST(s.refunds AS DECIMAL(18,2)),
       CAST(s.units - s.cancelled_units - s.refunded_units AS BIGINT),
       CAST(s.gross - s.cancelled - s.refunds AS DECIMAL(18,2)),
       CAST(row_number() OVER (PARTITION BY s.day ORDER BY s.gross - s.cancelled - s.refunds DESC, s.category) AS INTEGER)
FROM sales AS s
LEFT JOIN orders AS o ON o.day = s.day AND o.category = s.category;
