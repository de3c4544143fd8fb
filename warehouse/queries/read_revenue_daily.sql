SELECT date, orders_placed, CAST(gross_sales AS VARCHAR), cancelled_orders, CAST(cancelled_sales AS VARCHAR),
       refunded_units, CAST(refunds AS VARCHAR), CAST(net_sales AS VARCHAR),
       CAST(cancellation_rate AS VARCHAR), CAST(refund_rate AS VARCHAR)
FROM marts.revenue_daily
ORDER BY date;
