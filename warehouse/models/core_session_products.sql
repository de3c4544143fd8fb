-- core.session_products (migration 017): for every session of
-- src_sessions (core_sessions.sql: the sessions this run changes, as they
-- are now), the products it viewed (product_view) or added to the cart
-- (add_to_cart), events without a product_id aside, with the session's
-- date. The rows of a changed session that it no longer has are deleted.
CREATE OR REPLACE TEMP TABLE src_session_products AS
SELECT e.session_id,
       e.product_id,
       s.session_date,
       bool_or(e.event_type = 'product_view') AS viewed,
       bool_or(e.event_type = 'add_to_cart')  AS carted
FROM core.events AS e
JOIN src_sessions AS s ON s.session_id = e.session_id
WHERE e.event_type IN ('product_view', 'add_to_cart') AND e.product_id IS NOT NULL
GROUP BY e.session_id, e.product_id, s.session_date;

DELETE FROM core.session_products
WHERE session_id IN (SELECT session_id FROM changed_sessions)
  AND NOT EXISTS (SELECT 1 FROM src_session_products AS s
                  WHERE s.session_id = core.session_products.session_id
                    AND s.product_id = core.session_products.product_id);

MERGE INTO core.session_products AS t
USING src_session_products AS s
ON t.session_id = s.session_id AND t.product_id = s.product_id
WHEN MATCHED AND (t.session_date IS DISTINCT FROM s.session_date
               OR t.viewed IS DISTINCT FROM s.viewed
               OR t.carted IS DISTINCT FROM s.carted) THEN
    UPDATE SET session_date = s.session_date, viewed = s.viewed, carted = s.carted
WHEN NOT MATCHED THEN
    INSERT (session_id, product_id, session_date, viewed, carted)
    VALUES (s.session_id, s.product_id, s.session_date, s.viewed, s.carted)
RETURNING merge_action;
