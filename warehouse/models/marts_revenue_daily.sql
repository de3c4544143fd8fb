-- marts.revenue_daily, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §11), each amount on its own date:
--   orders_placed, gross_sales  the orders created that day (any status)
--                               and their totals;
--   cancelled_orders, _sales    the orders whose current status is
--                               cancelled, on the date they took it
--                               (core.orders.status_date), and their totals;
--   refunded_units, refunds     the refunded lines (core.order_refunds), on
--                               their refund date: units and amounts;
--   net_sales                   gross_sales - cancelled_sales - refunds;
--   cancellation_rate,          cancelled_sales / gross_sales and
--   refund_rate                 refunds / gross_sales of the same date,
--                               round(.., 4) half away from zero in cents,
--                               NULL when gross_sales is 0 (may exceed 1:
--                               a quiet day's refunds of a busy day's sales).
-- One row per date with any of them.
DELETE FROM marts.revenue_daily;

INSERT INTO marts.revenue_daily
    (date, orders_placed, gross_sales, cancelled_orders, cancelled_sales, refunded_units, refunds, net_sales,
     cancellation_rate, refund_rate)
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
),
-- Amounts in cents (BIGINT) for the rates' integer rounding.
cents AS (
    SELECT d.day,
           COALESCE(p.n, 0)                            AS placed_n,
           CAST(COALESCE(p.amount, 0) * 100 AS BIGINT) AS gross,
           COALESCE(c.n, 0)                            AS cancelled_n,
           CAST(COALESCE(c.amount, 0) * 100 AS BIGINT) AS cancelled,
           COALESCE(r.units, 0)                        AS refunded_units,
           CAST(COALESCE(r.amount, 0) * 100 AS BIGINT) AS refunded
    FROM days AS d
    LEFT JOIN placed AS p ON p.day = d.day
    LEFT JOIN cancelled AS c ON c.day = d.day
    LEFT JOIN refunded AS r ON r.day = d.day
)
SELECT day,
       CAST(placed_n AS BIGINT),
       CAST(gross * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)),
       CAST(cancelled_n AS BIGINT),
       CAST(cancelled * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)),
       CAST(refunded_units AS BIGINT),
       CAST(refunded * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)),
       CAST((gross - cancelled - refunded) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)),
       CASE WHEN gross = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * cancelled + gross" "2 * gross"}} * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END,
       CASE WHEN gross = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * refunded + gross" "2 * gross"}} * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM cents;
