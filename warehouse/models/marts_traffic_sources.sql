-- marts.traffic_sources, a partition model: Transform rebuilds the dates in
-- affected_days (see affected_days.sql). The oracle's definition
-- (docs/MARTS.md §10): the sessions of each date (the UTC date of their
-- first event) grouped by the channel, device type and country of their
-- first event (core.sessions), with how many reached each step of the
-- session funnel (§2; core.sessions.funnel_step). funnel_conversion =
-- round(reached_purchase / sessions, 4) half away from zero.
DELETE FROM marts.traffic_sources WHERE date IN (SELECT day FROM affected_days);

INSERT INTO marts.traffic_sources
    (date, channel, device_type, country, sessions, reached_product_view, reached_add_to_cart,
     reached_begin_checkout, reached_purchase, funnel_conversion)
WITH counts AS (
    SELECT session_date                                   AS day,
           channel,
           device_type,
           country,
           count(*)                                       AS n,
           count(CASE WHEN funnel_step >= 1 THEN 1 END)   AS n1,
           count(CASE WHEN funnel_step >= 2 THEN 1 END)   AS n2,
           count(CASE WHEN funnel_step >= 3 THEN 1 END)   AS n3,
           count(CASE WHEN funnel_step >= 4 THEN 1 END)   AS n4
    FROM core.sessions
    WHERE session_date IN (SELECT day FROM affected_days)
    GROUP BY session_date, channel, device_type, country
)
SELECT day, channel, device_type, country,
       CAST(n AS BIGINT), CAST(n1 AS BIGINT), CAST(n2 AS BIGINT), CAST(n3 AS BIGINT), CAST(n4 AS BIGINT),
       CAST({{intdiv "2 * 10000 * n4 + n" "2 * n"}} * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
FROM counts;
