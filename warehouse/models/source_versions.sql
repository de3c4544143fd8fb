-- source_versions (temporary): which row speaks for each id of the FakeStore
-- sources, by one rule for every entity (users, products, carts). Read by
-- core_products, core_product_prices, core_users and chosen_carts. Also
-- rebuilds meta.rejected_rows.
--
-- One row per staging row: (entity, business_key) the id, the object it
-- came from, and
--   versions  how many different versions of the id that object serves:
--             rows that differ in what CORE keeps (a product's title,
--             price, category and price_valid_from; a user's email hash,
--             country and created_at; a cart's user, date, status and
--             lines). Identical repeats are one version.
--   deciding  the object is the latest that serves the id (snapshot_date,
--             then raw_key, descending): it alone decides the id's row in
--             CORE.
--   pos       the row's position among the id's rows in the object.
-- The row of an id is the first (pos = 1) of its deciding object when that
-- object serves one version. When it serves several, the source contradicts
-- itself on a primary key: no version is chosen, since picking one would
-- publish a row the source does not vouch for; every version is recorded in
-- meta.rejected_rows with the reason, and the id leaves CORE (a cart's
-- order and lines, a user, a product and its price history) until a later
-- object serves it once. An object that serves conflicting versions of an
-- id that a later object decides is superseded; its versions are not
-- recorded and, for a product, not part of the price history either.
-- See docs/ARCHITECTURE.md, "Duplicate ids from the source".
CREATE OR REPLACE TEMP TABLE source_versions AS
WITH cart_lines AS (
    SELECT raw_key, cart_row_no,
           string_agg(CAST(product_id AS VARCHAR) || 'x' || CAST(quantity AS VARCHAR), ',' ORDER BY line_no) AS lines
    FROM staging.fakestore_cart_items
    GROUP BY raw_key, cart_row_no
),
served AS (
    SELECT 'products' AS entity, product_id AS business_key, raw_key, snapshot_date, row_no,
           {{fingerprint "title" "price" "category" "price_valid_from"}} AS fingerprint
    FROM staging.fakestore_products
    UNION ALL
    SELECT 'users', user_id, raw_key, snapshot_date, row_no,
           {{fingerprint "email_hash" "country" "created_at"}}
    FROM staging.fakestore_users
    UNION ALL
    SELECT 'carts', c.cart_id, c.raw_key, c.snapshot_date, c.row_no,
           {{fingerprint "c.user_id" "c.cart_date" "c.status" "l.lines"}}
    FROM staging.fakestore_carts AS c
    LEFT JOIN cart_lines AS l ON l.raw_key = c.raw_key AND l.cart_row_no = c.row_no
),
objects AS (
    SELECT entity, business_key, raw_key, count(DISTINCT fingerprint) AS versions,
           row_number() OVER (PARTITION BY entity, business_key
                              ORDER BY max(snapshot_date) DESC, raw_key DESC) AS object_rank
    FROM served
    GROUP BY entity, business_key, raw_key
)
SELECT s.entity, s.business_key, s.raw_key, s.snapshot_date, s.row_no, o.versions,
       (o.object_rank = 1) AS deciding,
       row_number() OVER (PARTITION BY s.entity, s.business_key, s.raw_key ORDER BY s.row_no) AS pos
FROM served AS s
JOIN objects AS o ON o.entity = s.entity AND o.business_key = s.business_key AND o.raw_key = s.raw_key;

DELETE FROM meta.rejected_rows;

INSERT INTO meta.rejected_rows (entity, business_key, raw_key, row_no, snapshot_date, reason)
SELECT entity, business_key, raw_key, row_no, snapshot_date,
       'duplicate id: the object serves ' || CAST(versions AS VARCHAR) || ' different versions of '
       || CASE entity WHEN 'products' THEN 'product' WHEN 'users' THEN 'user' ELSE 'cart' END
       || ' ' || CAST(business_key AS VARCHAR)
FROM source_versions
WHERE deciding AND versions > 1;
