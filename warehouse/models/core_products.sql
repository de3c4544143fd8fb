-- core.products: one row per product_id from every products snapshot in
-- staging. The latest snapshot wins (snapshot_date, then raw_key, then the
-- row's position, all descending). A product is active iff its winning row
-- comes from the latest snapshot object; products are never deleted.
-- created_at is the first snapshot date that listed the product.
CREATE OR REPLACE TEMP TABLE src_products AS
WITH ranked AS (
    SELECT p.*,
           row_number() OVER (PARTITION BY product_id
                              ORDER BY snapshot_date DESC, raw_key DESC, row_no DESC) AS rn,
           min(snapshot_date) OVER (PARTITION BY product_id) AS first_seen
    FROM staging.fakestore_products AS p
),
latest AS (
    SELECT snapshot_date, raw_key
    FROM staging.fakestore_products
    ORDER BY snapshot_date DESC, raw_key DESC
    LIMIT 1
)
SELECT r.product_id,
       r.title                                      AS name,
       r.category                                   AS category, -- normalised at load (CleanCategory)
       CAST(r.price AS DECIMAL(18,2))               AS price,
       (r.snapshot_date = l.snapshot_date AND r.raw_key = l.raw_key) AS is_active,
       CAST(r.first_seen AS TIMESTAMP)              AS created_at
FROM ranked AS r CROSS JOIN latest AS l
WHERE r.rn = 1;

MERGE INTO core.products AS t
USING src_products AS s
ON t.product_id = s.product_id
WHEN MATCHED AND (t.name IS DISTINCT FROM s.name
               OR t.category IS DISTINCT FROM s.category
               OR t.price IS DISTINCT FROM s.price
               OR t.is_active IS DISTINCT FROM s.is_active
               OR t.created_at IS DISTINCT FROM s.created_at) THEN
    UPDATE SET name = s.name, category = s.category, price = s.price,
               is_active = s.is_active, created_at = s.created_at
WHEN NOT MATCHED THEN
    INSERT (product_id, name, category, price, is_active, created_at)
    VALUES (s.product_id, s.name, s.category, s.price, s.is_active, s.created_at)
RETURNING merge_action;
