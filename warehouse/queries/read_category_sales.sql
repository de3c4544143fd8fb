-- Sorted again in Go, bytewise (docs/MARTS.md §13), whatever the engine's
-- collation.
SELECT date, category, orders_placed, units_sold, CAST(gross_sales AS VARCHAR),
       cancelled_units, CAST(cancelled_sales AS VARCHAR), refunded_units, CAST(refunds AS VARCHAR),
       net_units, CAST(net_sales AS VARCHAR), net_sales_rank
FROM marts.category_sales
ORDER BY date, category;
