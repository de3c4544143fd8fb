-- marts.session_funnel, a partition model: Transform rebuilds the dates in
-- affected_days (see affected_days.sql). The oracle's definition:
-- steps 1 product_view, 2 add_to_cart, 3 begin_checkout, 4 purchase. A
-- session reaches step 1 with any product_view, at t1 = its earliest one; it
-- reaches step k > 1 with an event of step k's type at or after t(k-1), and
-- t(k) is the earliest such event. Sessions are counted on their date (UTC
-- date of their first event, of any type). Every date with a session gets all
-- four rows, zeros included. conversion_from_previous = round(n_k / n_(k-1), 4)
-- half away from zero, NULL for step 1 or when n_(k-1) = 0.
DELETE FROM marts.session_funnel WHERE date IN (SELECT day FROM affected_days);

INSERT INTO marts.session_funnel
    (date, step_order, step, sessions, conversion_from_previous)
WITH candidates AS (
    -- a session dated D has an event on D
    SELECT DISTINCT session_id
    FROM core.events
    WHERE CAST(event_time AS DATE) IN (SELECT day FROM affected_days)
),
session_days AS (
    SELECT session_id, day
    FROM (
        SELECT session_id, CAST(min(event_time) AS DATE) AS day
        FROM core.events
        WHERE session_id IN (SELECT session_id FROM candidates)
        GROUP BY session_id
    ) AS dated
    WHERE day IN (SELECT day FROM affected_days)
),
ev AS (
    SELECT e.session_id, e.event_type, e.event_time
    FROM core.events AS e
    WHERE e.session_id IN (SELECT session_id FROM session_days)
      AND e.event_type IN ('product_view', 'add_to_cart', 'begin_checkout', 'purchase')
),
step1 AS (
    SELECT session_id, min(event_time) AS t
    FROM ev
    WHERE event_type = 'product_view'
    GROUP BY session_id
),
step2 AS (
    SELECT e.session_id, min(e.event_time) AS t
    FROM ev AS e
    JOIN step1 AS p ON p.session_id = e.session_id AND e.event_time >= p.t
    WHERE e.event_type = 'add_to_cart'
    GROUP BY e.session_id
),
step3 AS (
    SELECT e.session_id, min(e.event_time) AS t
    FROM ev AS e
    JOIN step2 AS p ON p.session_id = e.session_id AND e.event_time >= p.t
    WHERE e.event_type = 'begin_checkout'
    GROUP BY e.session_id
),
step4 AS (
    SELECT e.session_id, min(e.event_time) AS t
    FROM ev AS e
    JOIN step3 AS p ON p.session_id = e.session_id AND e.event_time >= p.t
    WHERE e.event_type = 'purchase'
    GROUP BY e.session_id
),
counts AS (
    SELECT d.day,
           count(s1.session_id) AS n1,
           count(s2.session_id) AS n2,
           count(s3.session_id) AS n3,
           count(s4.session_id) AS n4
    FROM session_days AS d
    LEFT JOIN step1 AS s1 ON s1.session_id = d.session_id
    LEFT JOIN step2 AS s2 ON s2.session_id = d.session_id
    LEFT JOIN step3 AS s3 ON s3.session_id = d.session_id
    LEFT JOIN step4 AS s4 ON s4.session_id = d.session_id
    GROUP BY d.day
),
steps AS (
    SELECT day, 1 AS step_order, 'product_view' AS step, n1 AS sessions, CAST(NULL AS BIGINT) AS previous FROM counts
    UNION ALL
    SELECT day, 2, 'add_to_cart', n2, n1 FROM counts
    UNION ALL
    SELECT day, 3, 'begin_checkout', n3, n2 FROM counts
    UNION ALL
    SELECT day, 4, 'purchase', n4, n3 FROM counts
)
SELECT day,
       step_order,
       step,
       CAST(sessions AS BIGINT),
       CASE WHEN previous IS NULL OR previous = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * sessions + previous" "2 * previous"}}
                      * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM steps;
