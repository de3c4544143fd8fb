-- core.product_prices: the price history of every product (SCD type 2), one
-- row per version, keyed (product_id, valid_from), from every products
-- snapshot in staging.
--
-- Each snapshot row says "this price has been in force since valid_from":
--   - valid_from = the row's price_valid_from (the source's "priceValidFrom"
--     extension: when that price took effect), when the source serves it;
--   - otherwise (the real FakeStore, or a price in force since before the
--     source's history) the snapshot's date, 00:00 UTC. This is an
--     approximation: the snapshot of logical date D is taken after D ends,
--     so a price that changed at the midnight that ends D is dated D (see
--     docs/MARTS.md §8).
-- Observations are the rows of the products in core.products (src_products)
-- from the snapshots that serve one version of them (source_versions.sql:
-- a snapshot that contradicts itself on a product says nothing about its
-- price; identical repeats are one observation).
-- Observations with the same (product, valid_from) are one point; if they
-- disagree on the price, the latest snapshot wins (snapshot_date, raw_key,
-- row position, all descending, as in source_versions.sql). Points are ordered
-- by valid_from, and a point whose price equals the previous point's is not
-- a new version (the same price seen again in a later snapshot). A version
-- ends where the next begins; the last one stays open (valid_to NULL), even
-- for a withdrawn product.
CREATE OR REPLACE TEMP TABLE src_product_prices AS
WITH observed AS (
    SELECT p.product_id, p.price, p.snapshot_date, p.raw_key, p.row_no,
           COALESCE(p.price_valid_from, CAST(p.snapshot_date AS TIMESTAMP)) AS valid_from
    FROM staging.fakestore_products AS p
    JOIN meta.source_objects AS v
      ON v.entity = 'products' AND v.load_seq = p.load_seq AND v.row_no = p.row_no
    WHERE v.versions = 1
      AND p.product_id IN (SELECT product_id FROM src_products)
),
points AS (
    SELECT product_id, price, valid_from
    FROM (
        SELECT o.*,
               row_number() OVER (PARTITION BY product_id, valid_from
                                  ORDER BY snapshot_date DESC, raw_key DESC, row_no DESC) AS rn
        FROM observed AS o
    ) AS ranked
    WHERE rn = 1
),
changes AS (
    SELECT product_id, price, valid_from,
           lag(price) OVER (PARTITION BY product_id ORDER BY valid_from) AS previous_price
    FROM points
)
SELECT product_id,
       CAST(price AS DECIMAL(18,2))                                        AS price,
       valid_from,
       lead(valid_from) OVER (PARTITION BY product_id ORDER BY valid_from) AS valid_to
FROM changes
WHERE previous_price IS NULL OR previous_price <> price;

MERGE INTO core.product_prices AS t
USING src_product_prices AS s
ON t.product_id = s.product_id AND t.valid_from = s.valid_from
WHEN MATCHED AND (t.price IS DISTINCT FROM s.price
               OR t.valid_to IS DISTINCT FROM s.valid_to) THEN
    UPDATE SET price = s.price, valid_to = s.valid_to
WHEN NOT MATCHED THEN
    INSERT (product_id, price, valid_from, valid_to)
    VALUES (s.product_id, s.price, s.valid_from, s.valid_to)
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
