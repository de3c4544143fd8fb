-- marts.daily_kpis, a partition model: Transform rebuilds the dates in
-- affected_days (every date on a full refresh; see affected_days.sql). The
-- definitions are those of the simulator's oracle:
--   a session's date is the UTC date of its first event;
--   sessions(D), converting_sessions(D): sessions dated D, and those of them
--     with at least one purchase event;
--   orders(D), revenue(D): completed orders created on D, sum of their totals;
--   avg_order_value = round(revenue / orders, 2), NULL when orders = 0;
--   conversion_rate = round(converting / sessions, 4), NULL when sessions = 0;
--   every date with a session or an order gets a row.
-- Rounding is half away from zero, done in integers (no DOUBLE anywhere):
--   round(n / d) = (2n + d) div 2d  for n >= 0, d > 0.
DELETE FROM marts.daily_kpis WHERE date IN (SELECT day FROM affected_days);

INSERT INTO marts.daily_kpis
    (date, sessions, converting_sessions, orders, revenue, avg_order_value, conversion_rate)
WITH sessions_by_day AS (
    -- a session's date and purchases: core.sessions (core_sessions.sql)
    SELECT session_date                                      AS day,
           count(*)                                          AS sessions,
           count(CASE WHEN purchase_events > 0 THEN 1 END)   AS converting
    FROM core.sessions
    WHERE session_date IN (SELECT day FROM affected_days)
    GROUP BY session_date
),
orders_by_day AS (
    SELECT day,
           count(*)                 AS orders,
           sum(order_total)         AS revenue
    FROM (SELECT {{local_date "created_at"}} AS day, order_total
          FROM core.orders
          WHERE order_status = 'completed') AS o
    WHERE day IN (SELECT day FROM affected_days)
    GROUP BY day
),
days AS (
    SELECT day FROM sessions_by_day
    UNION
    SELECT day FROM orders_by_day
),
joined AS (
    SELECT d.day,
           CAST(COALESCE(s.sessions, 0) AS BIGINT)         AS sessions,
           CAST(COALESCE(s.converting, 0) AS BIGINT)       AS converting,
           CAST(COALESCE(o.orders, 0) AS BIGINT)           AS orders,
           CAST(COALESCE(o.revenue, 0) AS DECIMAL(18,2))   AS revenue
    FROM days AS d
    LEFT JOIN sessions_by_day AS s ON s.day = d.day
    LEFT JOIN orders_by_day AS o ON o.day = d.day
),
cents AS (
    SELECT joined.*, CAST(revenue * 100 AS BIGINT) AS revenue_cents
    FROM joined
)
SELECT day,
       sessions,
       converting,
       orders,
       revenue,
       CASE WHEN orders = 0 THEN NULL
            ELSE CAST(CASE WHEN revenue_cents < 0 THEN -1 ELSE 1 END
                      * {{intdiv "2 * abs(revenue_cents) + orders" "2 * orders"}}
                      * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))
       END,
       CASE WHEN sessions = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * converting + sessions" "2 * sessions"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM cents;
