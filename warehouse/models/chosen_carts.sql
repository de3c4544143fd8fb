-- chosen_carts (temporary): the one version of every cart that becomes an
-- order: the row source_versions.sql chooses for the cart id (the latest
-- object serving the cart decides; a conflict there keeps the cart out of
-- CORE, recorded in meta.rejected_rows). Read by order_lines, core_orders
-- and core_order_items. The FakeStore fixtures serve two different carts
-- with "id": 6 (user 4 and user 8): neither becomes an order.
CREATE OR REPLACE TEMP TABLE chosen_carts AS
SELECT c.raw_key, c.row_no, c.cart_id, c.user_id, c.cart_date, c.status, c.status_date
FROM staging.fakestore_carts AS c
JOIN meta.source_decisions AS v
  ON v.entity = 'carts' AND v.load_seq = c.load_seq AND v.row_no = c.row_no
WHERE v.versions = 1;
