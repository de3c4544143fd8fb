-- marts.category_conversion, rebuilt in full from CORE (docs/MARTS.md §5b):
-- the behaviours of marts.product_conversion (see marts_product_conversion.sql)
-- by (session date, core.products.category), a session counting once per
-- category however many of its products it viewed, carted or purchased. So a
-- row is not the sum of its products' rows. The category is CORE's,
-- lower(trim(source category)), every other byte kept; a missing category is
-- the empty string, as STAGING stores it.
DELETE FROM marts.category_conversion;

INSERT INTO marts.category_conversion
    (date, category, view_sessions, cart_sessions, purchase_sessions, view_to_cart_rate, view_to_purchase_rate)
WITH session_days AS (
    SELECT session_id, CAST(min(event_time) AS DATE) AS day
    FROM core.events
    GROUP BY session_id
),
touches AS (
    SELECT e.session_id, e.product_id, 'view' AS behaviour
    FROM core.events AS e
    WHERE e.event_type = 'product_view' AND e.product_id IS NOT NULL
    UNION ALL
    SELECT e.session_id, e.product_id, 'cart'
    FROM core.events AS e
    WHERE e.event_type = 'add_to_cart' AND e.product_id IS NOT NULL
    UNION ALL
    SELECT e.session_id, i.product_id, 'purchase'
    FROM core.events AS e
    JOIN core.orders AS o ON o.order_id = e.order_id
    JOIN core.order_items AS i ON i.order_id = o.order_id
    WHERE e.event_type = 'purchase'
),
category_touches AS (
    SELECT DISTINCT t.session_id, COALESCE(p.category, '') AS category, t.behaviour
    FROM touches AS t
    JOIN core.products AS p ON p.product_id = t.product_id
),
counts AS (
    SELECT d.day, t.category,
           CAST(count(CASE WHEN t.behaviour = 'view' THEN 1 END) AS BIGINT)     AS viewed,
           CAST(count(CASE WHEN t.behaviour = 'cart' THEN 1 END) AS BIGINT)     AS carted,
           CAST(count(CASE WHEN t.behaviour = 'purchase' THEN 1 END) AS BIGINT) AS purchased
    FROM category_touches AS t
    JOIN session_days AS d ON d.session_id = t.session_id
    GROUP BY d.day, t.category
)
SELECT day, category, viewed, carted, purchased,
       CASE WHEN viewed = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * carted + viewed" "2 * viewed"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END,
       CASE WHEN viewed = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * purchased + viewed" "2 * viewed"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM counts;
