-- Accepted values: no product has a negative price.
WITH bad AS (
    SELECT product_id, CAST(product_id AS VARCHAR) || '=' || CAST(price AS VARCHAR) AS k
    FROM core.products
    WHERE price < 0
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY product_id) FROM (SELECT product_id, k FROM bad ORDER BY product_id LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
