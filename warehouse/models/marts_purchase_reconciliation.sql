-- marts.purchase_reconciliation, rebuilt in full from CORE (docs/MARTS.md
-- §6): the batch side (core.orders, every status) against the stream side
-- (purchase events of core.events, one per event_id) by order_id.
--   An order is tracked if at least one purchase event carries its order_id,
--   whatever that event's date or session; it counts on its created_at date.
--   A purchase event counts on its event_time date; it is an orphan if its
--   order_id is NULL or names no order.
--   tracking_loss_rate = round(untracked / orders, 4) half away from zero,
--   in integers; NULL when orders = 0.
-- One row per date with an order or a purchase event.
DELETE FROM marts.purchase_reconciliation;

INSERT INTO marts.purchase_reconciliation
    (date, orders, tracked_orders, untracked_orders, purchase_events, orphan_purchase_events, tracking_loss_rate)
WITH purchases AS (
    SELECT event_id, event_time, order_id
    FROM core.events
    WHERE event_type = 'purchase'
),
orders_by_day AS (
    SELECT o.day,
           count(*) AS orders,
           count(CASE WHEN EXISTS (SELECT 1 FROM purchases AS p WHERE p.order_id = o.order_id) THEN 1 END) AS tracked
    FROM (SELECT order_id, {{local_date "created_at"}} AS day FROM core.orders) AS o
    GROUP BY o.day
),
events_by_day AS (
    SELECT p.day,
           count(*) AS events,
           count(CASE WHEN NOT EXISTS (SELECT 1 FROM core.orders AS o WHERE o.order_id = p.order_id) THEN 1 END) AS orphans
    FROM (SELECT order_id, {{local_date "event_time"}} AS day FROM purchases) AS p
    GROUP BY p.day
),
days AS (
    SELECT day FROM orders_by_day
    UNION
    SELECT day FROM events_by_day
),
joined AS (
    SELECT d.day,
           CAST(COALESCE(o.orders, 0) AS BIGINT)   AS orders,
           CAST(COALESCE(o.tracked, 0) AS BIGINT)  AS tracked,
           CAST(COALESCE(e.events, 0) AS BIGINT)   AS events,
           CAST(COALESCE(e.orphans, 0) AS BIGINT)  AS orphans
    FROM days AS d
    LEFT JOIN orders_by_day AS o ON o.day = d.day
    LEFT JOIN events_by_day AS e ON e.day = d.day
)
SELECT day, orders, tracked, orders - tracked, events, orphans,
       CASE WHEN orders = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * (orders - tracked) + orders" "2 * orders"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM joined;
