-- Unique keys: a products snapshot loaded since the last promoted run lists
-- each product id once. Identical repeats collapse to one row; conflicting
-- versions are rejected (source_versions.sql, meta.rejected_rows).
WITH bad AS (
    SELECT CAST(p.snapshot_date AS VARCHAR) || ' product ' || CAST(p.product_id AS VARCHAR) AS k
    FROM staging.fakestore_products AS p
    CROSS JOIN transform_run AS r
    WHERE p.load_seq > r.from_load_seq AND p.load_seq <= r.to_load_seq
    GROUP BY p.raw_key, p.snapshot_date, p.product_id
    HAVING count(*) > 1
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
