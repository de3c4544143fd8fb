SELECT date, product_id, view_sessions, cart_sessions, purchase_sessions,
       CAST(view_to_cart_rate AS VARCHAR),
       CAST(view_to_purchase_rate AS VARCHAR)
FROM marts.product_conversion
ORDER BY date, product_id;
