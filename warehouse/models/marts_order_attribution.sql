-- marts.order_attribution, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §15; sim.World.OrderAttribution): every completed order
-- (core.orders, as daily_kpis counts it, on its created_at date) is
-- credited once under each model to one session's channel, utm_source,
-- utm_medium and utm_campaign (core.sessions: its first event's, already
-- normalised), or to '(untracked)' in all four when there is no session:
--   last_touch   the session of the order's purchase event (order_id = the
--                order; of several, the earliest event_time, then the
--                smallest event_id);
--   first_touch  the earliest session (started_at, then session_id) of the
--                order's user (core.sessions.user_id) that started within
--                the 30 days before the order: started_at in
--                [created_at - 30 days, created_at].
-- orders counts the orders of a (date, model, channel, utm_*) group,
-- revenue sums their order_total.
--
-- Purchase events are read through a filter on event_type (never a scan
-- that groups every event), sessions through their user.
DELETE FROM marts.order_attribution;

INSERT INTO marts.order_attribution
    (date, model, channel, utm_source, utm_medium, utm_campaign, orders, revenue)
WITH completed AS (
    SELECT order_id, user_id, created_at, order_total
    FROM core.orders
    WHERE order_status = 'completed'
),
purchases AS (
    SELECT e.order_id, e.session_id,
           row_number() OVER (PARTITION BY e.order_id ORDER BY e.event_time, e.event_id) AS n
    FROM core.events AS e
    WHERE e.event_type = 'purchase'
      AND e.order_id IS NOT NULL
      AND e.order_id IN (SELECT order_id FROM completed)
),
last_touch AS (
    SELECT c.order_id, p.session_id
    FROM completed AS c
    LEFT JOIN purchases AS p ON p.order_id = c.order_id AND p.n = 1
),
window_sessions AS (
    SELECT c.order_id, s.session_id,
           row_number() OVER (PARTITION BY c.order_id ORDER BY s.started_at, s.session_id) AS n
    FROM completed AS c
    JOIN core.sessions AS s
      ON s.user_id = c.user_id
     -- 30 days: sim.AttributionWindowDays (sim/oracle_attribution.go).
     AND s.started_at >= c.created_at - INTERVAL '30 days'
     AND s.started_at <= c.created_at
),
first_touch AS (
    SELECT c.order_id, w.session_id
    FROM completed AS c
    LEFT JOIN window_sessions AS w ON w.order_id = c.order_id AND w.n = 1
),
touches AS (
    SELECT 'first_touch' AS model, order_id, session_id FROM first_touch
    UNION ALL
    SELECT 'last_touch', order_id, session_id FROM last_touch
),
credited AS (
    SELECT {{local_date "c.created_at"}} AS day,
           t.model,
           CASE WHEN s.session_id IS NULL THEN '(untracked)' ELSE s.channel END      AS channel,
           CASE WHEN s.session_id IS NULL THEN '(untracked)' ELSE s.utm_source END   AS utm_source,
           CASE WHEN s.session_id IS NULL THEN '(untracked)' ELSE s.utm_medium END   AS utm_medium,
           CASE WHEN s.session_id IS NULL THEN '(untracked)' ELSE s.utm_campaign END AS utm_campaign,
           c.order_total
    FROM touches AS t
    JOIN completed AS c ON c.order_id = t.order_id
    LEFT JOIN core.sessions AS s ON s.session_id = t.session_id
)
SELECT day,
       CAST(model AS VARCHAR),
       CAST(channel AS VARCHAR),
       CAST(utm_source AS VARCHAR),
       CAST(utm_medium AS VARCHAR),
       CAST(utm_campaign AS VARCHAR),
       CAST(count(*) AS BIGINT),
       CAST(sum(order_total) AS DECIMAL(18,2))
FROM credited
GROUP BY day, model, channel, utm_source, utm_medium, utm_campaign;
