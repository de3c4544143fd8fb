SELECT date, model, channel, utm_source, utm_medium, utm_campaign, orders, CAST(revenue AS VARCHAR)
FROM marts.order_attribution
ORDER BY date, model, channel, utm_source, utm_medium, utm_campaign;
