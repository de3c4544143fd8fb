-- Unique keys: the copies of one event_id loaded since the last promoted
-- run carry one payload (else dedup keeps the first copy of a conflict).
WITH bad AS (
    SELECT e.event_id AS k
    FROM staging.events AS e
    CROSS JOIN transform_run AS r
    WHERE e.load_seq > r.from_load_seq AND e.load_seq <= r.to_load_seq
    GROUP BY e.event_id
    HAVING count(DISTINCT e.event_type || '|' || CAST(e.event_time AS VARCHAR) || '|' || e.session_id || '|'
                 || COALESCE(CAST(e.product_id AS VARCHAR), '') || '|' || COALESCE(CAST(e.order_id AS VARCHAR), '')) > 1
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
