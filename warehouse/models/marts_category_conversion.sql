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
WITH category_touches AS (
    -- views and carts per session: core.session_products (with the
    -- session's date); purchases by the order the event names
    SELECT t.session_date AS day, t.session_id, COALESCE(p.category, '') AS category,
           bool_or(t.viewed) AS viewed, bool_or(t.carted) AS carted, FALSE AS purchased
    FROM core.session_products AS t
    JOIN core.products AS p ON p.product_id = t.product_id
    GROUP BY t.session_date, t.session_id, COALESCE(p.category, '')
    UNION ALL
    SELECT DISTINCT s.session_date, e.session_id, COALESCE(p.category, ''), FALSE, FALSE, TRUE
    FROM core.events AS e
    JOIN core.sessions AS s ON s.session_id = e.session_id
    JOIN core.orders AS o ON o.order_id = e.order_id
    JOIN core.order_items AS i ON i.order_id = o.order_id
    JOIN core.products AS p ON p.product_id = i.product_id
    WHERE e.event_type = 'purchase'
),
counts AS (
    SELECT day, category,
           CAST(count(CASE WHEN viewed THEN 1 END) AS BIGINT)                AS viewed,
           CAST(count(CASE WHEN carted THEN 1 END) AS BIGINT)                AS carted,
           CAST(count(CASE WHEN purchased THEN 1 END) AS BIGINT)             AS purchased
    FROM category_touches
    GROUP BY day, category
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
