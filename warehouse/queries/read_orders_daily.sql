SELECT date, orders, customers, new_customers, returning_customers, new_customer_orders, returning_customer_orders,
       CAST(new_customer_revenue AS VARCHAR), CAST(returning_customer_revenue AS VARCHAR), units, lines,
       CAST(avg_units_per_order AS VARCHAR), CAST(avg_lines_per_order AS VARCHAR), CAST(repeat_customer_rate AS VARCHAR)
FROM marts.orders_daily
ORDER BY date;
