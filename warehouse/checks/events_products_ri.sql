-- Referential integrity: the events of this run that name a product name
-- one of CORE (else the conversion marts leave them out).
WITH bad AS (
    SELECT e.event_id || '->' || CAST(e.product_id AS VARCHAR) AS k
    FROM changed_events AS e
    WHERE e.product_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM core.products AS p WHERE p.product_id = e.product_id)
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
