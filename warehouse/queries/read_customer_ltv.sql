SELECT user_id, first_order_date, cohort_month, orders,
       CAST(revenue AS VARCHAR),
       CAST(revenue_30d AS VARCHAR),
       CAST(revenue_90d AS VARCHAR),
       CAST(revenue_365d AS VARCHAR)
FROM marts.customer_ltv
ORDER BY user_id;
