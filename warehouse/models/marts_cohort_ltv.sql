-- marts.cohort_ltv, rebuilt in full from marts.customer_ltv (docs/MARTS.md
-- §4b): for every cohort month with a customer, one row per horizon (30, 90,
-- 365 days), whether or not any window has elapsed.
--   matured_customers: the cohort's customers whose N-day window has elapsed
--     (revenue_Nd not NULL); revenue: the sum of their revenue_Nd (0 if none);
--   avg_revenue = round(revenue / matured_customers, 2), half away from zero
--     in integer cents; NULL when matured_customers = 0.
DELETE FROM marts.cohort_ltv;

INSERT INTO marts.cohort_ltv
    (cohort_month, horizon_days, cohort_customers, matured_customers, revenue, avg_revenue)
WITH horizons AS (
    SELECT 30 AS horizon_days
    UNION ALL SELECT 90
    UNION ALL SELECT 365
),
windows AS (
    SELECT l.cohort_month, h.horizon_days,
           CASE h.horizon_days
                WHEN 30 THEN l.revenue_30d
                WHEN 90 THEN l.revenue_90d
                ELSE l.revenue_365d
           END AS window_revenue
    FROM marts.customer_ltv AS l
    CROSS JOIN horizons AS h
),
cohorts AS (
    SELECT cohort_month, horizon_days,
           CAST(count(*) AS BIGINT)                                 AS customers,
           CAST(count(window_revenue) AS BIGINT)                    AS matured,
           CAST(COALESCE(sum(window_revenue), 0) AS DECIMAL(18,2))  AS revenue
    FROM windows
    GROUP BY cohort_month, horizon_days
),
cents AS (
    SELECT cohorts.*, CAST(revenue * 100 AS BIGINT) AS revenue_cents
    FROM cohorts
)
SELECT cohort_month,
       CAST(horizon_days AS INTEGER),
       customers,
       matured,
       revenue,
       CASE WHEN matured = 0 THEN NULL
            ELSE CAST(sign(revenue_cents)
                      * {{intdiv "2 * abs(revenue_cents) + matured" "2 * matured"}}
                      * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))
       END
FROM cents;
