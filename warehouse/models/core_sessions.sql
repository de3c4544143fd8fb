-- core.sessions: one row per session_id of core.events (migration 017),
-- maintained incrementally: a run recomputes, from all of their events in
-- CORE, the sessions in changed_sessions (core_events.sql); a full refresh
-- starts from an empty table, where every session is changed. A session
-- that no longer has an event (its only copy replaced by one of another
-- session) is deleted. Definitions (docs/MARTS.md §0, §2):
--   session_date   the UTC date of its earliest event (any type);
--   purchase_events its purchase events, whatever their order;
--   funnel_step    the furthest of the funnel's steps 1 product_view,
--                  2 add_to_cart, 3 begin_checkout, 4 purchase of which it
--                  has an event, whatever their order in time; 0 for none
--                  (the session reaches every step up to it);
--   user_id        the smallest user_id among its events, NULL when none
--                  carries one (an anonymous session);
--   device_type ... country, landing_page: the dimensions of its first
--                  event (earliest event_time, then smallest event_id),
--                  landing_page its page_path.
-- Step by step, one narrow temporary table per statement: each statement
-- holds one aggregate or join, so that a day of ten million events stays
-- within the warehouse's memory limit (one query holding every step ran
-- out of it).
CREATE OR REPLACE TEMP TABLE session_steps AS
SELECT session_id,
       min(event_time)                                                    AS started_at,
       max(event_time)                                                    AS ended_at,
       count(*)                                                           AS events,
       count(CASE WHEN event_type = 'purchase' THEN 1 END)                AS purchase_events,
       max(CASE event_type WHEN 'product_view' THEN 1
                           WHEN 'add_to_cart' THEN 2
                           WHEN 'begin_checkout' THEN 3
                           WHEN 'purchase' THEN 4
                           ELSE 0 END)                                    AS funnel_step,
       min(user_id)                                                       AS user_id
FROM core.events
WHERE session_id IN (SELECT session_id FROM changed_sessions)
GROUP BY session_id;

-- The session's first event: its earliest, the smallest event_id among
-- those at that time. Its dimensions are the session's (landing_page is its
-- page_path).
CREATE OR REPLACE TEMP TABLE session_first AS
SELECT e.session_id, min(e.event_id) AS event_id
FROM core.events AS e
JOIN session_steps AS p ON p.session_id = e.session_id AND e.event_time = p.started_at
GROUP BY e.session_id;

CREATE OR REPLACE TEMP TABLE src_sessions AS
SELECT b.session_id,
       {{local_date "b.started_at"}}       AS session_date,
       b.started_at,
       b.ended_at,
       CAST(b.events AS BIGINT)            AS events,
       CAST(b.purchase_events AS BIGINT)   AS purchase_events,
       CAST(b.funnel_step AS INTEGER)      AS funnel_step,
       b.user_id,
       f.device_type, f.device_os, f.device_browser, f.channel, f.utm_source, f.utm_medium,
       f.utm_campaign, f.referrer_host, f.page_path AS landing_page, f.country
FROM session_steps AS b
JOIN session_first AS sf ON sf.session_id = b.session_id
JOIN core.events AS f ON f.event_id = sf.event_id;

DROP TABLE session_first;

DROP TABLE session_steps;

DELETE FROM core.sessions
WHERE session_id IN (SELECT session_id FROM changed_sessions)
  AND session_id NOT IN (SELECT session_id FROM src_sessions);

MERGE INTO core.sessions AS t
USING src_sessions AS s
ON t.session_id = s.session_id
WHEN MATCHED AND (t.session_date IS DISTINCT FROM s.session_date
               OR t.started_at IS DISTINCT FROM s.started_at
               OR t.ended_at IS DISTINCT FROM s.ended_at
               OR t.events IS DISTINCT FROM s.events
               OR t.purchase_events IS DISTINCT FROM s.purchase_events
               OR t.funnel_step IS DISTINCT FROM s.funnel_step
               OR t.user_id IS DISTINCT FROM s.user_id
               OR t.device_type IS DISTINCT FROM s.device_type
               OR t.device_os IS DISTINCT FROM s.device_os
               OR t.device_browser IS DISTINCT FROM s.device_browser
               OR t.channel IS DISTINCT FROM s.channel
               OR t.utm_source IS DISTINCT FROM s.utm_source
               OR t.utm_medium IS DISTINCT FROM s.utm_medium
               OR t.utm_campaign IS DISTINCT FROM s.utm_campaign
               OR t.referrer_host IS DISTINCT FROM s.referrer_host
               OR t.landing_page IS DISTINCT FROM s.landing_page
               OR t.country IS DISTINCT FROM s.country) THEN
    UPDATE SET session_date = s.session_date, started_at = s.started_at, ended_at = s.ended_at,
               events = s.events, purchase_events = s.purchase_events, funnel_step = s.funnel_step,
               user_id = s.user_id,
               device_type = s.device_type, device_os = s.device_os, device_browser = s.device_browser,
               channel = s.channel, utm_source = s.utm_source, utm_medium = s.utm_medium,
               utm_campaign = s.utm_campaign, referrer_host = s.referrer_host,
               landing_page = s.landing_page, country = s.country
WHEN NOT MATCHED THEN
    INSERT (session_id, session_date, started_at, ended_at, events, purchase_events, funnel_step, user_id,
            device_type, device_os, device_browser, channel, utm_source, utm_medium, utm_campaign,
            referrer_host, landing_page, country)
    VALUES (s.session_id, s.session_date, s.started_at, s.ended_at, s.events, s.purchase_events,
            s.funnel_step, s.user_id, s.device_type, s.device_os, s.device_browser, s.channel, s.utm_source,
            s.utm_medium, s.utm_campaign, s.referrer_host, s.landing_page, s.country)
RETURNING merge_action;
