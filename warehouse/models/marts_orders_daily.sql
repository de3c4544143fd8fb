-- marts.orders_daily, rebuilt in full from CORE and marts.customer_ltv
-- (docs/MARTS.md §14), after both daily_kpis and customer_ltv. One row per
-- date with a completed order created before as_of (run_params): the
-- orders of marts.daily_kpis on every date before as_of.
--   new / returning: a customer is new on the date of their first completed
--     order, customer_ltv.first_order_date (the same customers and first
--     orders, read from that mart so that the two never disagree), and
--     returning on a later date; an order is a new customer's if it falls
--     on that first date. Revenue is order totals, as in daily_kpis.
--   units, lines: the quantities and the number of the orders' lines
--     (core.order_items), as sold (refunds do not change them).
--   avg_units_per_order, avg_lines_per_order = round(units / orders, 2),
--     round(lines / orders, 2); orders > 0 on every row.
--   repeat_customer_rate = round(repeaters / customers_to_date, 4):
--     customers whose second completed order (by created_at, then order_id)
--     falls on or before the date, over customers whose first does.
-- Rounding is half away from zero, in integers (no DOUBLE anywhere):
--   round(n / d) = (2n + d) div 2d  for n >= 0, d > 0.
DELETE FROM marts.orders_daily;

INSERT INTO marts.orders_daily
    (date, orders, customers, new_customers, returning_customers, new_customer_orders, returning_customer_orders,
     new_customer_revenue, returning_customer_revenue, units, lines, avg_units_per_order, avg_lines_per_order,
     repeat_customer_rate)
WITH completed AS (
    SELECT o.order_id, o.user_id, o.created_at, {{local_date "o.created_at"}} AS day, o.order_total,
           l.first_order_date
    FROM core.orders AS o
    CROSS JOIN run_params AS h
    JOIN marts.customer_ltv AS l ON l.user_id = o.user_id
    WHERE o.order_status = 'completed' AND o.created_at < h.as_of
),
items AS (
    SELECT order_id, sum(quantity) AS units, count(*) AS lines
    FROM core.order_items
    GROUP BY order_id
),
by_day AS (
    SELECT c.day,
           CAST(count(*) AS BIGINT)                                                          AS orders,
           CAST(count(DISTINCT c.user_id) AS BIGINT)                                         AS customers,
           CAST(count(DISTINCT CASE WHEN c.first_order_date = c.day THEN c.user_id END) AS BIGINT) AS new_customers,
           CAST(count(CASE WHEN c.first_order_date = c.day THEN 1 END) AS BIGINT)            AS new_orders,
           sum(CASE WHEN c.first_order_date = c.day THEN c.order_total ELSE 0 END)           AS new_revenue,
           sum(CASE WHEN c.first_order_date = c.day THEN 0 ELSE c.order_total END)           AS returning_revenue,
           CAST(sum(COALESCE(i.units, 0)) AS BIGINT)                                         AS units,
           CAST(sum(COALESCE(i.lines, 0)) AS BIGINT)                                         AS lines
    FROM completed AS c
    LEFT JOIN items AS i ON i.order_id = c.order_id
    GROUP BY c.day
),
ranked AS (
    SELECT user_id, day,
           row_number() OVER (PARTITION BY user_id ORDER BY created_at, order_id) AS n
    FROM completed
),
seconds AS (
    SELECT day, CAST(count(*) AS BIGINT) AS repeaters
    FROM ranked
    WHERE n = 2
    GROUP BY day
),
running AS (
    SELECT d.*,
           CAST(sum(d.new_customers) OVER (ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT)
               AS customers_to_date,
           CAST(sum(COALESCE(s.repeaters, 0)) OVER (ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT)
               AS repeaters_to_date
    FROM by_day AS d
    LEFT JOIN seconds AS s ON s.day = d.day
)
SELECT day,
       orders,
       customers,
       new_customers,
       CAST(customers - new_customers AS BIGINT),
       new_orders,
       CAST(orders - new_orders AS BIGINT),
       CAST(new_revenue AS DECIMAL(18,2)),
       CAST(returning_revenue AS DECIMAL(18,2)),
       units,
       lines,
       CAST({{intdiv "2 * 100 * units + orders" "2 * orders"}} * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(9,2)),
       CAST({{intdiv "2 * 100 * lines + orders" "2 * orders"}} * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(9,2)),
       CAST({{intdiv "2 * 10000 * repeaters_to_date + customers_to_date" "2 * customers_to_date"}}
            * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
FROM running;
