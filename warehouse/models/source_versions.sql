-- source_versions: which row speaks for each id of the FakeStore sources,
-- by one rule for every entity (users, products, carts), kept in
-- meta.source_objects and meta.source_decisions (migration 018) and read by
-- core_products, core_product_prices, core_users and chosen_carts. Also
-- rebuilds meta.rejected_rows.
--
-- For each (entity, id) an object serves (objects named by their load_seq):
--   versions  how many different versions of the id the object serves:
--             rows that differ in what CORE keeps (a product's title,
--             price, category and price_valid_from; a user's email hash,
--             country and created_at; a cart's user, date, status, lines,
--             status date and refunds). Identical repeats are one version.
--   row_no    the id's first row in the object.
-- The deciding object of an id is the latest that serves it (snapshot_date,
-- then raw_key, descending): it alone decides the id's row in CORE. The row
-- of an id is the first of its deciding object when that object serves one
-- version. When it serves several, the source contradicts itself on a
-- primary key: no version is chosen, since picking one would publish a row
-- the source does not vouch for; every version is recorded in
-- meta.rejected_rows with the reason, and the id leaves CORE (a cart's order
-- and lines, a user, a product and its price history) until a later object
-- serves it once. An object that serves conflicting versions of an id that
-- a later object decides is superseded; its versions are not recorded and,
-- for a product, not part of the price history either.
--
-- Only the staging rows this run loads are read (transform_run: load_seq in
-- (from_load_seq, to_load_seq]); STAGING is append-only, so the facts of an
-- object never change and an id's deciding object can only be replaced by
-- a later one. A full refresh starts from empty tables and reads them all.
-- See docs/ARCHITECTURE.md, "Duplicate ids from the source".
DELETE FROM meta.source_objects
WHERE EXISTS (SELECT 1 FROM transform_run WHERE mode = 'full_refresh');

DELETE FROM meta.source_decisions
WHERE EXISTS (SELECT 1 FROM transform_run WHERE mode = 'full_refresh');

-- The order of the FakeStore objects (snapshot_date, then key), as a number:
-- the decisions compare objects by it, not by their keys.
CREATE OR REPLACE TEMP TABLE source_object_order AS
SELECT load_seq, object_key,
       row_number() OVER (ORDER BY split_part(object_key, '/', 4), object_key) AS ord
FROM meta.loaded_objects
WHERE entity IN ('users', 'products', 'carts');

-- One row per (entity, id, object) the run loads. Most ids appear once in
-- an object, which then serves one version: fingerprints are computed only
-- for the ids an object repeats, so that a snapshot of millions of users is
-- grouped on integers, not on millions of strings.
CREATE OR REPLACE TEMP TABLE new_source_objects AS
WITH served AS (
    SELECT 'products' AS entity, p.product_id AS business_key, p.load_seq, p.snapshot_date, p.row_no
    FROM staging.fakestore_products AS p
    CROSS JOIN transform_run AS r
    WHERE p.load_seq > r.from_load_seq AND p.load_seq <= r.to_load_seq
    UNION ALL
    SELECT 'users', u.user_id, u.load_seq, u.snapshot_date, u.row_no
    FROM staging.fakestore_users AS u
    CROSS JOIN transform_run AS r
    WHERE u.load_seq > r.from_load_seq AND u.load_seq <= r.to_load_seq
    UNION ALL
    SELECT 'carts', c.cart_id, c.load_seq, c.snapshot_date, c.row_no
    FROM staging.fakestore_carts AS c
    CROSS JOIN transform_run AS r
    WHERE c.load_seq > r.from_load_seq AND c.load_seq <= r.to_load_seq
),
grouped AS (
    SELECT entity, business_key, load_seq, max(snapshot_date) AS snapshot_date, min(row_no) AS row_no,
           count(*) AS copies
    FROM served
    GROUP BY entity, business_key, load_seq
),
repeated AS (
    SELECT entity, business_key, load_seq FROM grouped WHERE copies > 1
),
cart_lines AS (
    SELECT i.load_seq, i.cart_row_no,
           string_agg(CAST(i.product_id AS VARCHAR) || 'x' || CAST(i.quantity AS VARCHAR), ',' ORDER BY i.line_no) AS lines
    FROM staging.fakestore_cart_items AS i
    JOIN repeated AS k ON k.entity = 'carts' AND k.business_key = i.cart_id AND k.load_seq = i.load_seq
    GROUP BY i.load_seq, i.cart_row_no
),
cart_refunds AS (
    SELECT f.load_seq, f.cart_row_no,
           string_agg(CAST(f.refund_date AS VARCHAR) || '@' || CAST(f.product_id AS VARCHAR) || 'x' || CAST(f.quantity AS VARCHAR),
                      ',' ORDER BY f.refund_no) AS refunds
    FROM staging.fakestore_cart_refunds AS f
    JOIN repeated AS k ON k.entity = 'carts' AND k.business_key = f.cart_id AND k.load_seq = f.load_seq
    GROUP BY f.load_seq, f.cart_row_no
),
fingerprints AS (
    SELECT 'products' AS entity, p.product_id AS business_key, p.load_seq,
           {{fingerprint "p.title" "p.price" "p.category" "p.price_valid_from"}} AS fingerprint
    FROM staging.fakestore_products AS p
    JOIN repeated AS k ON k.entity = 'products' AND k.business_key = p.product_id AND k.load_seq = p.load_seq
    UNION ALL
    SELECT 'users', u.user_id, u.load_seq,
           {{fingerprint "u.email_hash" "u.country" "u.created_at"}}
    FROM staging.fakestore_users AS u
    JOIN repeated AS k ON k.entity = 'users' AND k.business_key = u.user_id AND k.load_seq = u.load_seq
    UNION ALL
    SELECT 'carts', c.cart_id, c.load_seq,
           {{fingerprint "c.user_id" "c.cart_date" "c.status" "l.lines" "c.status_date" "f.refunds"}}
    FROM staging.fakestore_carts AS c
    JOIN repeated AS k ON k.entity = 'carts' AND k.business_key = c.cart_id AND k.load_seq = c.load_seq
    LEFT JOIN cart_lines AS l ON l.load_seq = c.load_seq AND l.cart_row_no = c.row_no
    LEFT JOIN cart_refunds AS f ON f.load_seq = c.load_seq AND f.cart_row_no = c.row_no
),
versions AS (
    SELECT entity, business_key, load_seq, count(DISTINCT fingerprint) AS versions
    FROM fingerprints
    GROUP BY entity, business_key, load_seq
)
SELECT g.entity, g.business_key, g.load_seq, g.snapshot_date, g.row_no,
       CAST(COALESCE(v.versions, 1) AS BIGINT) AS versions
FROM grouped AS g
LEFT JOIN versions AS v
  ON v.entity = g.entity AND v.business_key = g.business_key AND v.load_seq = g.load_seq;

INSERT INTO meta.source_objects (entity, business_key, load_seq, snapshot_date, row_no, versions)
SELECT entity, business_key, load_seq, snapshot_date, row_no, versions
FROM new_source_objects;

CREATE OR REPLACE TEMP TABLE new_source_decisions AS
WITH candidates AS (
    SELECT entity, business_key, load_seq, snapshot_date, row_no, versions
    FROM new_source_objects
    UNION ALL
    SELECT d.entity, d.business_key, d.load_seq, d.snapshot_date, d.row_no, d.versions
    FROM meta.source_decisions AS d
    WHERE EXISTS (SELECT 1 FROM new_source_objects AS n
                  WHERE n.entity = d.entity AND n.business_key = d.business_key)
)
SELECT entity, business_key, load_seq, snapshot_date, row_no, versions
FROM (
    SELECT c.*,
           row_number() OVER (PARTITION BY c.entity, c.business_key
                              ORDER BY c.snapshot_date DESC, o.ord DESC) AS rn
    FROM candidates AS c
    JOIN source_object_order AS o ON o.load_seq = c.load_seq
) AS ranked
WHERE rn = 1;

DELETE FROM meta.source_decisions
WHERE EXISTS (SELECT 1 FROM new_source_decisions AS n
              WHERE n.entity = meta.source_decisions.entity
                AND n.business_key = meta.source_decisions.business_key);

INSERT INTO meta.source_decisions (entity, business_key, load_seq, snapshot_date, row_no, versions)
SELECT entity, business_key, load_seq, snapshot_date, row_no, versions
FROM new_source_decisions;

DROP TABLE new_source_decisions;

DELETE FROM meta.rejected_rows;

INSERT INTO meta.rejected_rows (entity, business_key, raw_key, row_no, snapshot_date, reason)
WITH conflicted AS (
    SELECT entity, business_key, load_seq, versions
    FROM meta.source_decisions
    WHERE versions > 1
),
rows_of AS (
    SELECT 'products' AS entity, product_id AS business_key, raw_key, load_seq, row_no, snapshot_date
    FROM staging.fakestore_products
    WHERE load_seq IN (SELECT load_seq FROM conflicted WHERE entity = 'products')
    UNION ALL
    SELECT 'users', user_id, raw_key, load_seq, row_no, snapshot_date
    FROM staging.fakestore_users
    WHERE load_seq IN (SELECT load_seq FROM conflicted WHERE entity = 'users')
    UNION ALL
    SELECT 'carts', cart_id, raw_key, load_seq, row_no, snapshot_date
    FROM staging.fakestore_carts
    WHERE load_seq IN (SELECT load_seq FROM conflicted WHERE entity = 'carts')
)
SELECT s.entity, s.business_key, s.raw_key, s.row_no, s.snapshot_date,
       'duplicate id: the object serves ' || CAST(c.versions AS VARCHAR) || ' different versions of '
       || CASE s.entity WHEN 'products' THEN 'product' WHEN 'users' THEN 'user' ELSE 'cart' END
       || ' ' || CAST(s.business_key AS VARCHAR)
FROM rows_of AS s
JOIN conflicted AS c
  ON c.entity = s.entity AND c.business_key = s.business_key AND c.load_seq = s.load_seq;
