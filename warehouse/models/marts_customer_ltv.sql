-- marts.customer_ltv, rebuilt in full from CORE (docs/MARTS.md §4a).
--   Customers and first orders as in marts.cohort_retention: completed
--   orders created before as_of (run_params) only.
--   revenue: the sum of their totals (cumulative LTV to date).
--   revenue_Nd (N = 30, 90, 365): the totals of the completed orders whose
--   day offset, order date minus first order date (DATEs, never
--   timestamps), is less than N; NULL until the window has elapsed, that is
--   while first_order_date + N days > as_of's date (as_of_day: the same as
--   the window's end instant being after as_of). Dates are in the business
--   time zone (local_date).
DELETE FROM marts.customer_ltv;

INSERT INTO marts.customer_ltv
    (user_id, first_order_date, cohort_month, orders, revenue, revenue_30d, revenue_90d, revenue_365d)
WITH completed AS (
    SELECT o.user_id, {{local_date "o.created_at"}} AS day, o.order_total, {{local_date "h.as_of"}} AS as_of_day
    FROM core.orders AS o
    CROSS JOIN run_params AS h
    WHERE o.order_status = 'completed' AND o.created_at < h.as_of
),
firsts AS (
    SELECT user_id, min(day) AS first_order_date
    FROM completed
    GROUP BY user_id
),
customers AS (
    SELECT c.user_id, f.first_order_date, c.as_of_day,
           count(*)                                                                        AS orders,
           sum(c.order_total)                                                              AS revenue,
           sum(CASE WHEN c.day - f.first_order_date < 30 THEN c.order_total ELSE 0 END)  AS within_30,
           sum(CASE WHEN c.day - f.first_order_date < 90 THEN c.order_total ELSE 0 END)  AS within_90,
           sum(CASE WHEN c.day - f.first_order_date < 365 THEN c.order_total ELSE 0 END) AS within_365
    FROM completed AS c
    JOIN firsts AS f ON f.user_id = c.user_id
    GROUP BY c.user_id, f.first_order_date, c.as_of_day
)
SELECT user_id,
       first_order_date,
       CAST(date_trunc('month', first_order_date) AS DATE),
       CAST(orders AS BIGINT),
       CAST(revenue AS DECIMAL(18,2)),
       CASE WHEN {{add_days "first_order_date" "30"}} <= as_of_day THEN CAST(within_30 AS DECIMAL(18,2)) END,
       CASE WHEN {{add_days "first_order_date" "90"}} <= as_of_day THEN CAST(within_90 AS DECIMAL(18,2)) END,
       CASE WHEN {{add_days "first_order_date" "365"}} <= as_of_day THEN CAST(within_365 AS DECIMAL(18,2)) END
FROM customers;
