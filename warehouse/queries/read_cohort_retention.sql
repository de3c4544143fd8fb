SELECT granularity, cohort_start, period_offset, period_start, cohort_size, active_customers,
       CAST(retention_rate AS VARCHAR), period_complete
FROM marts.cohort_retention
ORDER BY granularity, cohort_start, period_offset;
