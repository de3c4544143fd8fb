-- marts.product_conversion, rebuilt in full from CORE (docs/MARTS.md §5a).
-- Per session (counted on its date, the UTC date of its earliest event) and
-- product:
--   viewed: a product_view of the product (twice counts once);
--   carted: an add_to_cart of it, viewed or not;
--   purchased: a purchase event whose order_id is an order of core.orders
--     (any status) with a line of the product. A purchase naming no order,
--     and an order no purchase event names, attribute nothing.
-- Only products of core.products (active or withdrawn) count. One row per
-- (date, product) with at least one such session; rates are counts over
-- view_sessions, round(n / d, 4) half away from zero in integers, NULL when
-- view_sessions = 0.
DELETE FROM marts.product_conversion;

INSERT INTO marts.product_conversion
    (date, product_id, view_sessions, cart_sessions, purchase_sessions, view_to_cart_rate, view_to_purchase_rate)
WITH session_days AS (
    SELECT session_id, CAST(min(event_time) AS DATE) AS day
    FROM core.events
    GROUP BY session_id
),
touches AS (
    SELECT DISTINCT e.session_id, e.product_id, 'view' AS behaviour
    FROM core.events AS e
    WHERE e.event_type = 'product_view' AND e.product_id IS NOT NULL
    UNION
    SELECT DISTINCT e.session_id, e.product_id, 'cart'
    FROM core.events AS e
    WHERE e.event_type = 'add_to_cart' AND e.product_id IS NOT NULL
    UNION
    SELECT DISTINCT e.session_id, i.product_id, 'purchase'
    FROM core.events AS e
    JOIN core.orders AS o ON o.order_id = e.order_id
    JOIN core.order_items AS i ON i.order_id = o.order_id
    WHERE e.event_type = 'purchase'
),
counts AS (
    SELECT d.day, t.product_id,
           CAST(count(CASE WHEN t.behaviour = 'view' THEN 1 END) AS BIGINT)     AS viewed,
           CAST(count(CASE WHEN t.behaviour = 'cart' THEN 1 END) AS BIGINT)     AS carted,
           CAST(count(CASE WHEN t.behaviour = 'purchase' THEN 1 END) AS BIGINT) AS purchased
    FROM touches AS t
    JOIN session_days AS d ON d.session_id = t.session_id
    JOIN core.products AS p ON p.product_id = t.product_id
    GROUP BY d.day, t.product_id
)
SELECT day, product_id, viewed, carted, purchased,
       CASE WHEN viewed = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * carted + viewed" "2 * viewed"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END,
       CASE WHEN viewed = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * purchased + viewed" "2 * viewed"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM counts;
