-- marts.product_sales, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §12): marts.revenue_daily (§11) by product, each amount on
-- its own date, every line at the order's unit price (core.order_items:
-- the price in force at the order's created_at; a line without a known
-- price adds its units and no amount, as it adds nothing to order_total):
--   orders_placed, units_sold,  the orders created that day (any status)
--   gross_sales                 with a line of the product, its units and
--                               quantity x unit price;
--   cancelled_units, _sales     the product's lines of the orders whose
--                               current status is cancelled, on the date
--                               they took it (core.orders.status_date);
--   refunded_units, refunds     the product's refunded lines
--                               (core.order_refunds) on their refund date;
--   net_units, net_sales        sold - cancelled - refunded;
--   net_sales_rank              ROW_NUMBER within the date by net_sales
--                               descending, then product_id ascending.
-- category is core.products.category, '' when missing (as
-- marts.category_conversion has it); a product core.products does not list
-- keeps its rows, with '', so that a date's products sum to revenue_daily.
-- One row per (date, product) with any of the amounts' lines.
DELETE FROM marts.product_sales;

INSERT INTO marts.product_sales
    (date, product_id, category, orders_placed, units_sold, gross_sales, cancelled_units, cancelled_sales,
     refunded_units, refunds, net_units, net_sales, net_sales_rank)
WITH lines AS (
    SELECT o.order_id, o.order_status, {{local_date "o.created_at"}} AS placed_day,
           {{local_date "o.status_date"}} AS status_day, i.product_id, i.quantity,
           i.quantity * i.unit_price AS amount
    FROM core.orders AS o
    JOIN core.order_items AS i ON i.order_id = o.order_id
),
placed AS (
    SELECT placed_day AS day, product_id,
           count(DISTINCT order_id) AS orders, sum(quantity) AS units, sum(amount) AS amount
    FROM lines
    GROUP BY placed_day, product_id
),
cancelled AS (
    SELECT status_day AS day, product_id, sum(quantity) AS units, sum(amount) AS amount
    FROM lines
    WHERE order_status = 'cancelled'
    GROUP BY status_day, product_id
),
refunded AS (
    SELECT day, product_id, sum(quantity) AS units, sum(amount) AS amount
    FROM (SELECT {{local_date "refund_date"}} AS day, product_id, quantity, amount FROM core.order_refunds) AS r
    GROUP BY day, product_id
),
product_days AS (
    SELECT day, product_id FROM placed
    UNION
    SELECT day, product_id FROM cancelled
    UNION
    SELECT day, product_id FROM refunded
),
sales AS (
    SELECT k.day, k.product_id, COALESCE(p.category, '') AS category,
           COALESCE(s.orders, 0) AS orders,
           COALESCE(s.units, 0) AS units, COALESCE(s.amount, 0) AS gross,
           COALESCE(c.units, 0) AS cancelled_units, COALESCE(c.amount, 0) AS cancelled,
           COALESCE(r.units, 0) AS refunded_units, COALESCE(r.amount, 0) AS refunds
    FROM product_days AS k
    LEFT JOIN placed AS s ON s.day = k.day AND s.product_id = k.product_id
    LEFT JOIN cancelled AS c ON c.day = k.day AND c.product_id = k.product_id
    LEFT JOIN refunded AS r ON r.day = k.day AND r.product_id = k.product_id
    LEFT JOIN core.products AS p ON p.product_id = k.product_id
)
SELECT day, product_id, category,
       CAST(orders AS BIGINT),
       CAST(units AS BIGINT),
       CAST(gross AS DECIMAL(18,2)),
       CAST(cancelled_units AS BIGINT),
       CAST(cancelled AS DECIMAL(18,2)),
       CAST(refunded_units AS BIGINT),
       CAST(refunds AS DECIMAL(18,2)),
       CAST(units - cancelled_units - refunded_units AS BIGINT),
       CAST(gross - cancelled - refunds AS DECIMAL(18,2)),
       CAST(row_number() OVER (PARTITION BY day ORDER BY gross - cancelled - refunds DESC, product_id) AS INTEGER)
FROM sales;
