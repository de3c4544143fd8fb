-- marts.traffic_by_hour, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §16; sim.World.TrafficByHour): daily_kpis (§1) split by
-- the hour of the day (business time zone), one row per (date, hour) with a session or a
-- completed order:
--   sessions, converting_sessions  the sessions whose first event
--                                  (core.sessions.started_at) falls in the
--                                  hour, and those with a purchase event;
--   orders, revenue                the completed orders created in the
--                                  hour, and the sum of their totals;
--   weekday                        the date's ISO day of the week, 1 =
--                                  Monday .. 7 = Sunday (the iso_weekday
--                                  template function: Redshift spells it
--                                  from dow).
-- Summed over the hours of a date: daily_kpis' counts of the date.
DELETE FROM marts.traffic_by_hour;

INSERT INTO marts.traffic_by_hour
    (date, hour, weekday, sessions, converting_sessions, orders, revenue)
WITH sessions_by_hour AS (
    SELECT day,
           hour,
           count(*)                                          AS sessions,
           count(CASE WHEN purchase_events > 0 THEN 1 END)   AS converting
    FROM (SELECT session_date AS day, {{hour (local_ts "started_at")}} AS hour, purchase_events
          FROM core.sessions) AS s
    GROUP BY day, hour
),
orders_by_hour AS (
    SELECT day,
           hour,
           count(*)                 AS orders,
           sum(order_total)         AS revenue
    FROM (SELECT {{local_date "created_at"}} AS day, {{hour (local_ts "created_at")}} AS hour, order_total
          FROM core.orders
          WHERE order_status = 'completed') AS o
    GROUP BY day, hour
),
slots AS (
    SELECT day, hour FROM sessions_by_hour
    UNION
    SELECT day, hour FROM orders_by_hour
)
SELECT t.day,
       CAST(t.hour AS INTEGER),
       {{iso_weekday "t.day"}},
       CAST(COALESCE(s.sessions, 0) AS BIGINT),
       CAST(COALESCE(s.converting, 0) AS BIGINT),
       CAST(COALESCE(o.orders, 0) AS BIGINT),
       CAST(COALESCE(o.revenue, 0) AS DECIMAL(18,2))
FROM slots AS t
LEFT JOIN sessions_by_hour AS s ON s.day = t.day AND s.hour = t.hour
LEFT JOIN orders_by_hour AS o ON o.day = t.day AND o.hour = t.hour;
