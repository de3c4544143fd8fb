SELECT date, dau, wau, mau, signups, CAST(stickiness AS VARCHAR)
FROM marts.active_users
ORDER BY date;
