-- order_status_observed (temporary): every status each order was seen with,
-- as an SCD 2 history (docs/MARTS.md §0), read by core_orders (the current
-- status's date) and core_order_status_history. Recomputed from STAGING on
-- every run, for the orders that are in CORE (chosen_carts).
--
-- An observation is a cart row of an object that serves the cart once (a
-- conflicting object observes nothing), in the objects' order
-- (source_object_order: snapshot date, then key). Consecutive observations
-- with the same status are one period. A period starts at the statusDate
-- the source gave (the earliest of the period), else, for the order's first
-- period, at its created_at, else at the end of the snapshot date that
-- first saw it (the batch that reads a date runs after it ends: the change
-- happened before). It ends where the next period starts (NULL: current).
CREATE OR REPLACE TEMP TABLE order_status_observed AS
WITH obs AS (
    SELECT c.cart_id AS order_id, c.status, c.status_date, c.snapshot_date, o.ord, k.cart_date
    FROM staging.fakestore_carts AS c
    JOIN meta.source_objects AS s
      ON s.entity = 'carts' AND s.business_key = c.cart_id AND s.load_seq = c.load_seq AND s.row_no = c.row_no
    JOIN source_object_order AS o ON o.load_seq = c.load_seq
    JOIN chosen_carts AS k ON k.cart_id = c.cart_id
    WHERE s.versions = 1
),
flagged AS (
    SELECT obs.*,
           CASE WHEN lag(status) OVER (PARTITION BY order_id ORDER BY snapshot_date, ord) = status THEN 0 ELSE 1 END AS starts
    FROM obs
),
numbered AS (
    SELECT flagged.*,
           sum(starts) OVER (PARTITION BY order_id ORDER BY snapshot_date, ord ROWS UNBOUNDED PRECEDING) AS period
    FROM flagged
),
periods AS (
    SELECT order_id, period, min(status) AS status, min(status_date) AS status_date,
           min(snapshot_date) AS first_seen, min(cart_date) AS created_at
    FROM numbered
    GROUP BY order_id, period
),
dated AS (
    SELECT order_id, period, status,
           COALESCE(status_date,
                    CASE WHEN period = 1 THEN created_at ELSE CAST(first_seen + 1 AS TIMESTAMP) END) AS valid_from
    FROM periods
)
SELECT order_id, period, status, valid_from,
       lead(valid_from) OVER (PARTITION BY order_id ORDER BY period) AS valid_to
FROM dated;
