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
WITH touches AS (
    -- views and carts per session: core.session_products (with the
    -- session's date); purchases by the order the event names
    SELECT session_date AS day, product_id,
           count(CASE WHEN viewed THEN 1 END) AS viewed,
           count(CASE WHEN carted THEN 1 END) AS carted,
           0                                  AS purchased
    FROM core.session_products
    GROUP BY session_date, product_id
    UNION ALL
    SELECT s.session_date, i.product_id, 0, 0, count(DISTINCT e.session_id)
    FROM core.events AS e
    JOIN core.sessions AS s ON s.session_id = e.session_id
    JOIN core.orders AS o ON o.order_id = e.order_id
    JOIN core.order_items AS i ON i.order_id = o.order_id
    WHERE e.event_type = 'purchase'
    GROUP BY s.session_date, i.product_id
),
counts AS (
    SELECT t.day, t.product_id,
           CAST(sum(t.viewed) AS BIGINT)    AS viewed,
           CAST(sum(t.carted) AS BIGINT)    AS carted,
           CAST(sum(t.purchased) AS BIGINT) AS purchased
    FROM touches AS t
    JOIN core.products AS p ON p.product_id = t.product_id
    GROUP BY t.day, t.product_id
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
