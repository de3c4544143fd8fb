SELECT date, hour, weekday, sessions, converting_sessions, orders, CAST(revenue AS VARCHAR)
FROM marts.traffic_by_hour
ORDER BY date, hour;
