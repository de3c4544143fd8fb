SELECT date, sessions, carts, checkouts, purchases,
       CAST(cart_abandonment_rate AS VARCHAR), CAST(checkout_abandonment_rate AS VARCHAR)
FROM marts.checkout_abandonment
ORDER BY date;
