-- marts.checkout_abandonment, a partition model: Transform rebuilds the
-- dates in affected_days (see affected_days.sql). The oracle's definition
-- (docs/MARTS.md §18), from the session funnel's furthest step (§2;
-- core.sessions.funnel_step), sessions on their date:
--   carts      sessions reaching add_to_cart (step 2 or further);
--   checkouts  sessions reaching begin_checkout (step 3 or further);
--   purchases  sessions reaching purchase (step 4: a purchase event);
--   cart_abandonment_rate     = round((carts - purchases) / carts, 4),
--   checkout_abandonment_rate = round((checkouts - purchases) / checkouts, 4),
--   half away from zero, NULL when the denominator is 0.
-- One row per date with a session.
DELETE FROM marts.checkout_abandonment WHERE date IN (SELECT day FROM affected_days);

INSERT INTO marts.checkout_abandonment
    (date, sessions, carts, checkouts, purchases, cart_abandonment_rate, checkout_abandonment_rate)
WITH counts AS (
    SELECT session_date                                   AS day,
           count(*)                                       AS n,
           count(CASE WHEN funnel_step >= 2 THEN 1 END)   AS carts,
           count(CASE WHEN funnel_step >= 3 THEN 1 END)   AS checkouts,
           count(CASE WHEN funnel_step >= 4 THEN 1 END)   AS purchases
    FROM core.sessions
    WHERE session_date IN (SELECT day FROM affected_days)
    GROUP BY session_date
)
SELECT day,
       CAST(n AS BIGINT),
       CAST(carts AS BIGINT),
       CAST(checkouts AS BIGINT),
       CAST(purchases AS BIGINT),
       CASE WHEN carts = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * (carts - purchases) + carts" "2 * carts"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END,
       CASE WHEN checkouts = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * (checkouts - purchases) + checkouts" "2 * checkouts"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM counts;
