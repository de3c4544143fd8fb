SELECT date, step_order, step, sessions,
       CAST(conversion_from_previous AS VARCHAR)
FROM marts.session_funnel
ORDER BY date, step_order;
