-- marts.cohort_retention, rebuilt in full from CORE (docs/MARTS.md §3).
--   A customer is a user_id with a completed order created before as_of
--   (run_params, see marts_horizon.sql); their cohort is the month, or ISO
--   week (Monday), of their first completed order. Cancelled and refunded
--   orders play no part: they neither found a cohort nor make anyone active.
--   A member is active at offset k if they have a completed order in period
--   cohort + k. Every cohort gets every offset from 0 to the period that
--   holds the last instant before as_of, zeros included (generate_series);
--   period_complete says whether that period has ended by as_of: whether
--   the date after it is at most as_of's date (as_of_day), which is the
--   same as its end instant being at most as_of. Periods are of dates in
--   the business time zone (local_date, local_ts).
--   retention_rate = round(active / size, 4), half away from zero, in
--   integers: (2n + d) div 2d.
DELETE FROM marts.cohort_retention;

INSERT INTO marts.cohort_retention
    (granularity, cohort_start, period_offset, period_start, cohort_size,
     active_customers, retention_rate, period_complete)
WITH horizon AS (
    SELECT as_of,
           {{local_date "as_of - INTERVAL '1 microsecond'"}} AS last_day,
           {{local_date "as_of"}} AS as_of_day
    FROM run_params
),
completed AS (
    SELECT o.user_id, o.created_at
    FROM core.orders AS o
    CROSS JOIN horizon AS h
    WHERE o.order_status = 'completed' AND o.created_at < h.as_of
),
order_periods AS (
    SELECT 'month' AS granularity, user_id, CAST(date_trunc('month', {{local_ts "created_at"}}) AS DATE) AS period_start
    FROM completed
    UNION ALL
    SELECT 'week', user_id, CAST(date_trunc('week', {{local_ts "created_at"}}) AS DATE)
    FROM completed
),
members AS (
    SELECT granularity, user_id, min(period_start) AS cohort_start
    FROM order_periods
    GROUP BY granularity, user_id
),
cohorts AS (
    SELECT granularity, cohort_start, count(*) AS cohort_size
    FROM members
    GROUP BY granularity, cohort_start
),
active AS (
    SELECT m.granularity, m.cohort_start, p.period_start, count(DISTINCT p.user_id) AS active_customers
    FROM order_periods AS p
    JOIN members AS m ON m.granularity = p.granularity AND m.user_id = p.user_id
    GROUP BY m.granularity, m.cohort_start, p.period_start
),
last_periods AS (
    SELECT 'month' AS granularity, CAST(date_trunc('month', last_day) AS DATE) AS last_start, as_of_day
    FROM horizon
    UNION ALL
    SELECT 'week', CAST(date_trunc('week', last_day) AS DATE), as_of_day
    FROM horizon
),
spans AS (
    SELECT c.granularity, c.cohort_start, c.cohort_size, l.as_of_day,
           CASE WHEN c.granularity = 'month'
                THEN 12 * (CAST(extract(year FROM l.last_start) AS INTEGER) - CAST(extract(year FROM c.cohort_start) AS INTEGER))
                     + CAST(extract(month FROM l.last_start) AS INTEGER) - CAST(extract(month FROM c.cohort_start) AS INTEGER)
                ELSE CAST({{intdiv "l.last_start - c.cohort_start" "7"}} AS INTEGER)
           END AS last_offset
    FROM cohorts AS c
    JOIN last_periods AS l ON l.granularity = c.granularity
),
grid AS (
    SELECT s.granularity, s.cohort_start, s.cohort_size, s.as_of_day,
           CAST(g.k AS INTEGER) AS period_offset,
           CASE WHEN s.granularity = 'month'
                THEN CAST(s.cohort_start + CAST(g.k AS INTEGER) * INTERVAL '1 month' AS DATE)
                ELSE CAST(s.cohort_start + 7 * CAST(g.k AS INTEGER) AS DATE)
           END AS period_start
    FROM spans AS s
    CROSS JOIN generate_series(0, s.last_offset) AS g(k)
),
filled AS (
    SELECT g.granularity, g.cohort_start, g.period_offset, g.period_start,
           CAST(g.cohort_size AS BIGINT)                          AS cohort_size,
           CAST(COALESCE(a.active_customers, 0) AS BIGINT)        AS active_customers,
           CASE WHEN g.granularity = 'month'
                THEN CAST(g.period_start + INTERVAL '1 month' AS DATE)
                ELSE CAST(g.period_start + 7 AS DATE)
           END <= g.as_of_day                                     AS period_complete
    FROM grid AS g
    LEFT JOIN active AS a
      ON a.granularity = g.granularity AND a.cohort_start = g.cohort_start AND a.period_start = g.period_start
)
SELECT granularity, cohort_start, period_offset, period_start, cohort_size, active_customers,
       CAST({{intdiv "2 * 10000 * active_customers + cohort_size" "2 * cohort_size"}}
            * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4)),
       period_complete
FROM filled;
