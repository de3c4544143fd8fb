SELECT date, sessions, converting_sessions, orders,
       CAST(revenue AS VARCHAR),
       CAST(avg_order_value AS VARCHAR),
       CAST(conversion_rate AS VARCHAR)
FROM marts.daily_kpis
ORDER BY date;
