SELECT date, channel, device_type, country, sessions, reached_product_view, reached_add_to_cart,
       reached_begin_checkout, reached_purchase, CAST(funnel_conversion AS VARCHAR)
FROM marts.traffic_sources
ORDER BY date, channel, device_type, country;
