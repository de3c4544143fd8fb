-- core.order_status_history: the statuses each order of CORE was seen with,
-- SCD 2 (order_status_observed.sql has the rule), one row per period.
-- Orders that leave CORE leave their history.
CREATE OR REPLACE TEMP TABLE src_order_status_history AS
SELECT order_id, status, valid_from, valid_to
FROM order_status_observed;

MERGE INTO core.order_status_history AS t
USING src_order_status_history AS s
ON t.order_id = s.order_id AND t.valid_from = s.valid_from
WHEN MATCHED AND (t.status IS DISTINCT FROM s.status OR t.valid_to IS DISTINCT FROM s.valid_to) THEN
    UPDATE SET status = s.status, valid_to = s.valid_to
WHEN NOT MATCHED THEN
    INSERT (order_id, status, valid_from, valid_to)
    VALUES (s.order_id, s.status, s.valid_from, s.valid_to)
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
