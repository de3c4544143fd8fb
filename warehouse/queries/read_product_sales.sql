SELECT date, product_id, category, orders_placed, units_sold, CAST(gross_sales AS VARCHAR),
       cancelled_units, CAST(cancelled_sales AS VARCHAR), refunded_units, CAST(refunds AS VARCHAR),
       net_units, CAST(net_sales AS VARCHAR), net_sales_rank
FROM marts.product_sales
ORDER BY date, product_id;
