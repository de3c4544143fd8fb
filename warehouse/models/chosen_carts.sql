-- chosen_carts (temporary): the one version of every cart that becomes an
-- order. Read by order_lines, core_orders and core_order_items. Also rebuilds
-- the carts part of meta.rejected_rows.
--
-- Which version of a cart_id counts: the one in the LATEST object that serves
-- the cart (snapshot_date DESC, then raw_key DESC). Within that object:
--   - one row, or several rows with identical content (user, date, status
--     and lines): that content is chosen (the first row in API order);
--   - several rows with DIFFERENT content: a primary-key conflict in the
--     source. No version is chosen, because picking one would silently
--     publish an order the source does not vouch for: the cart stays out of
--     CORE (a cart already in core.orders is deleted by core_orders.sql),
--     and every version is recorded in meta.rejected_rows with the reason.
--     A later object that serves the cart once resolves it.
-- The FakeStore fixtures serve two different carts with "id": 6 (user 4 and
-- user 8): neither becomes an order. See docs/ARCHITECTURE.md, "Duplicate ids
-- from the source".
CREATE OR REPLACE TEMP TABLE cart_versions AS
WITH line_lists AS (
    SELECT raw_key, cart_row_no,
           string_agg(CAST(product_id AS VARCHAR) || 'x' || CAST(quantity AS VARCHAR), ',' ORDER BY line_no) AS lines
    FROM staging.fakestore_cart_items
    GROUP BY raw_key, cart_row_no
),
fingerprinted AS (
    SELECT c.raw_key, c.snapshot_date, c.row_no, c.cart_id, c.user_id, c.cart_date, c.status,
           CAST(c.user_id AS VARCHAR) || '|' || CAST(c.cart_date AS VARCHAR) || '|' || c.status || '|' ||
           COALESCE(l.lines, '') AS fingerprint
    FROM staging.fakestore_carts AS c
    LEFT JOIN line_lists AS l ON l.raw_key = c.raw_key AND l.cart_row_no = c.row_no
),
latest AS (
    SELECT cart_id, raw_key
    FROM (
        SELECT cart_id, raw_key,
               row_number() OVER (PARTITION BY cart_id ORDER BY snapshot_date DESC, raw_key DESC) AS rn
        FROM (SELECT DISTINCT cart_id, raw_key, snapshot_date FROM fingerprinted) AS objs
    ) AS ranked
    WHERE rn = 1
),
in_latest AS (
    SELECT f.*
    FROM fingerprinted AS f
    JOIN latest AS l ON l.cart_id = f.cart_id AND l.raw_key = f.raw_key
),
counted AS (
    SELECT cart_id, count(DISTINCT fingerprint) AS versions
    FROM in_latest
    GROUP BY cart_id
)
SELECT v.*, n.versions,
       row_number() OVER (PARTITION BY v.cart_id ORDER BY v.row_no) AS pos
FROM in_latest AS v
JOIN counted AS n ON n.cart_id = v.cart_id;

CREATE OR REPLACE TEMP TABLE chosen_carts AS
SELECT raw_key, row_no, cart_id, user_id, cart_date, status
FROM cart_versions
WHERE versions = 1 AND pos = 1;

DELETE FROM meta.rejected_rows WHERE entity = 'carts';

INSERT INTO meta.rejected_rows (entity, business_key, raw_key, row_no, snapshot_date, reason)
SELECT 'carts', cart_id, raw_key, row_no, snapshot_date,
       'duplicate id: the object serves ' || CAST(versions AS VARCHAR) || ' different versions of cart ' || CAST(cart_id AS VARCHAR)
FROM cart_versions
WHERE versions > 1;

DROP TABLE cart_versions;
