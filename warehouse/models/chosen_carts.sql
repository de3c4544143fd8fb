-- chosen_carts (temporary): the one version of every cart that becomes an
-- order. Read by order_lines, core_orders and core_order_items.
--
-- Which cart wins when a cart_id appears more than once: the latest snapshot
-- (snapshot_date DESC), then the greatest raw_key, then, within one
-- snapshot, the LAST cart in API order (row_no DESC). The FakeStore fixtures
-- serve two different carts with "id": 6; the second one (userId 8) wins. To
-- keep the first one instead, change "row_no DESC" to "row_no ASC" below:
-- that is the whole rule.
CREATE OR REPLACE TEMP TABLE chosen_carts AS
SELECT raw_key, row_no, cart_id, user_id, cart_date, status
FROM (
    SELECT c.*,
           row_number() OVER (PARTITION BY cart_id
                              ORDER BY snapshot_date DESC, raw_key DESC, row_no DESC) AS rn
    FROM staging.fakestore_carts AS c
) AS ranked
WHERE rn = 1;
