-- core.products: one row per product_id, the row source_versions.sql
-- chooses (the latest snapshot serving the product). A product is active
-- iff that row comes from the latest products snapshot loaded, empty or not
-- (an empty snapshot passes only when accepted: snapshots_not_empty.sql).
-- A product missing from later snapshots stays, inactive; a product that
-- its deciding snapshot serves in conflicting versions is rejected
-- (meta.rejected_rows) and leaves CORE with its price history, so its
-- order lines have no price (order_items_products_ri warns), until a later
-- snapshot serves it once. created_at is the first snapshot date that
-- listed the product.
CREATE OR REPLACE TEMP TABLE src_products AS
WITH latest AS (
    SELECT object_key AS raw_key
    FROM meta.loaded_objects
    WHERE entity = 'products'
    ORDER BY split_part(object_key, '/', 4) DESC, object_key DESC
    LIMIT 1
),
first_seen AS (
    SELECT product_id, min(snapshot_date) AS first_seen
    FROM staging.fakestore_products
    GROUP BY product_id
)
SELECT p.product_id,
       p.title                                      AS name,
       p.category                                   AS category, -- normalised at load (CleanCategory)
       CAST(p.price AS DECIMAL(18,2))               AS price,
       (p.raw_key = l.raw_key)                      AS is_active,
       CAST(f.first_seen AS TIMESTAMP)              AS created_at
FROM staging.fakestore_products AS p
JOIN meta.source_decisions AS v
  ON v.entity = 'products' AND v.load_seq = p.load_seq AND v.row_no = p.row_no
JOIN first_seen AS f ON f.product_id = p.product_id
CROSS JOIN latest AS l
WHERE v.versions = 1;

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
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
