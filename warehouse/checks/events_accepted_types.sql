-- Accepted values: event_type is one of the six of the contract.
WITH bad AS (
    SELECT event_id || '=' || event_type AS k
    FROM changed_events
    WHERE event_type NOT IN ('page_view', 'product_view', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase')
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
