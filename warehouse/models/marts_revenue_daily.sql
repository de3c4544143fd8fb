-- marts.revenue_daily, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §11), each amount on its own date:
--   orders_placed, gross_sales  the orders created that day (any status)
--                               and their totals;
--   cancelled_orders, _sales    the orders whose current status is
--                               cancelled, on the date they took it
--                               (core.orders.status_date), and their totals;
--   refunded_units, refunds     the refunded lines (core.order_refunds), on
--                               their refund date: units and amounts;
--   net_sales                   gross_sales - cancelled_sales - refunds.
-- One row per date with any of them.
DELETE FROM marts.revenue_daily;

INSERT INTO marts.revenue_daily
    (date, orders_placed, gross_sales, cancelled_orders, cancelled_sales, refunded_units, refunds, net_sales)
WITH placed AS (
    SELECT day, count(*) AS n, sum(order_total) AS amount
    FROM (SELECT {{local_date "created_at"}} AS day, order_total FROM core.orders) AS o
    GROUP BY day
),
cancelled AS (
    SELECT day, count(*) AS n, sum(order_total) AS amount
    FROM (SELECT {{local_date "status_date"}} AS day, order_total
          FROM core.orders
          WHERE order_status = 'cancelled') AS o
    GROUP BY day
),
refunded AS (
    SELECT day, sum(quantity) AS units, sum(amount) AS amount
    FROM (SELECT {{local_date "refund_date"}} AS day, quantity, amount FROM core.order_refunds) AS r
    GROUP BY day
),
days AS (
    SELECT day FROM placed
    UNION
    SELECT day FROM cancelled
    UNION
    SELECT day FROM refunded
)
SELECT d.day,
       CAST(COALESCE(p.n, 0) AS BIGINT),
       CAST(COALESCE(p.amount, 0) AS DECIMAL(18,2)),
       CAST(COALESCE(c.n, 0) AS BIGINT),
       CAST(COALESCE(c.amount, 0) AS DECIMAL(18,2)),
       CAST(COALESCE(r.units, 0) AS BIGINT),
       CAST(COALESCE(r.amount, 0) AS DECIMAL(18,2)),
       CAST(COALESCE(p.amount, 0) - COALESCE(c.amount, 0) - COALESCE(r.amount, 0) AS DECIMAL(18,2))
FROM days AS d
LEFT JOIN placed AS p ON p.day = d.day
LEFT JOIN cancelled AS c ON c.day = d.day
LEFT JOIN refunded AS r ON r.day = d.day;
