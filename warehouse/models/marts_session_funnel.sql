-- marts.session_funnel, a partition model: Transform rebuilds the dates in
-- affected_days (see affected_days.sql). The oracle's definition:
-- steps 1 product_view, 2 add_to_cart, 3 begin_checkout, 4 purchase. A
-- session reaches step k if it has an event of step k's type or of a later
-- step's, whatever their order in time (core.sessions.funnel_step is the
-- furthest; docs/MARTS.md §2 says why). Sessions are counted on their date (UTC
-- date of their first event, of any type). Every date with a session gets all
-- four rows, zeros included. conversion_from_previous = round(n_k / n_(k-1), 4)
-- half away from zero, NULL for step 1 or when n_(k-1) = 0.
DELETE FROM marts.session_funnel WHERE date IN (SELECT day FROM affected_days);

INSERT INTO marts.session_funnel
    (date, step_order, step, sessions, conversion_from_previous)
WITH counts AS (
    -- a session's date and the last step it reached: core.sessions
    -- (core_sessions.sql computes funnel_step, the furthest step)
    SELECT session_date                                   AS day,
           count(CASE WHEN funnel_step >= 1 THEN 1 END)   AS n1,
           count(CASE WHEN funnel_step >= 2 THEN 1 END)   AS n2,
           count(CASE WHEN funnel_step >= 3 THEN 1 END)   AS n3,
           count(CASE WHEN funnel_step >= 4 THEN 1 END)   AS n4
    FROM core.sessions
    WHERE session_date IN (SELECT day FROM affected_days)
    GROUP BY session_date
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
