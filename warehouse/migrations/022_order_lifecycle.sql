-- The order lifecycle (docs/MARTS.md §0, docs/ARCHITECTURE.md "Lookback"):
-- a cart may say when it took its status (statusDate) and which lines were
-- refunded, when (refunds). STAGING keeps both as served; CORE keeps the
-- current status's date on the order, the refunds of the deciding object
-- with their amounts, and the history of the statuses every batch saw
-- (SCD 2). One statement per change, nullable where added to a table with
-- rows (see migration 020).
ALTER TABLE staging.fakestore_carts ADD COLUMN status_date TIMESTAMP;

-- One row per refunded line of a cart as served; (raw_key, cart_row_no)
-- joins it to its cart.
CREATE TABLE staging.fakestore_cart_refunds (
    raw_key       VARCHAR   NOT NULL,
    load_seq      BIGINT    NOT NULL,
    snapshot_date DATE      NOT NULL,
    cart_row_no   BIGINT    NOT NULL,
    refund_no     BIGINT    NOT NULL, -- 1-based position in the cart's refunds
    cart_id       BIGINT    NOT NULL,
    refund_date   TIMESTAMP NOT NULL, -- UTC
    product_id    BIGINT    NOT NULL,
    quantity      BIGINT    NOT NULL
);

-- When the order took its current status: the source's statusDate, else
-- its created_at while it keeps the status it was first seen with, else
-- the first snapshot date that saw the new status.
ALTER TABLE core.orders ADD COLUMN status_date TIMESTAMP;

-- The refunded lines of each order, as its deciding object serves them,
-- priced at the order's unit price of the product (core.order_items).
CREATE TABLE core.order_refunds (
    order_id    BIGINT        NOT NULL,
    refund_no   BIGINT        NOT NULL,
    refund_date TIMESTAMP     NOT NULL,
    product_id  BIGINT        NOT NULL,
    quantity    BIGINT        NOT NULL,
    amount      DECIMAL(18,2) NOT NULL -- quantity x unit_price; 0 when the price is unknown
);

-- Every status an order was seen with, SCD 2: valid from when it took it
-- (statusDate, or the first snapshot that saw it) until the next status
-- (NULL: current).
CREATE TABLE core.order_status_history (
    order_id   BIGINT    NOT NULL,
    status     VARCHAR   NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to   TIMESTAMP
);
