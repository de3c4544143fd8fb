-- core.order_items: one row per line of a chosen cart (see order_lines.sql),
-- keyed '<order_id>:<line_no>'. A line that no longer exists in the chosen
-- version of its cart is deleted.
CREATE OR REPLACE TEMP TABLE src_order_items AS
SELECT CAST(cart_id AS VARCHAR) || ':' || CAST(line_no AS VARCHAR) AS order_item_id,
       cart_id    AS order_id,
       product_id,
       quantity,
       unit_price
FROM order_lines;

MERGE INTO core.order_items AS t
USING src_order_items AS s
ON t.order_item_id = s.order_item_id
WHEN MATCHED AND (t.order_id IS DISTINCT FROM s.order_id
               OR t.product_id IS DISTINCT FROM s.product_id
               OR t.quantity IS DISTINCT FROM s.quantity
               OR t.unit_price IS DISTINCT FROM s.unit_price) THEN
    UPDATE SET order_id = s.order_id, product_id = s.product_id,
               quantity = s.quantity, unit_price = s.unit_price
WHEN NOT MATCHED THEN
    INSERT (order_item_id, order_id, product_id, quantity, unit_price)
    VALUES (s.order_item_id, s.order_id, s.product_id, s.quantity, s.unit_price)
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
