SELECT cohort_month, horizon_days, cohort_customers, matured_customers,
       CAST(revenue AS VARCHAR),
       CAST(avg_revenue AS VARCHAR)
FROM marts.cohort_ltv
ORDER BY cohort_month, horizon_days;
