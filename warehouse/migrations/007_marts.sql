-- The price history (SCD type 2) and the marts of docs/MARTS.md §3 to §6.

-- The products' "priceValidFrom" extension (served by the simulator, absent
-- from the real FakeStore): when the price in force took effect. NULL when
-- the source does not say (models/core_product_prices.sql then uses the
-- snapshot's date).
ALTER TABLE staging.fakestore_products ADD COLUMN price_valid_from TIMESTAMP;

-- One row per (product, price version), maintained by MERGE
-- (models/core_product_prices.sql). A version is in force over
-- [valid_from, valid_to); valid_to is NULL for the version in force now (a
-- withdrawn product keeps its last version open: orders placed before the
-- withdrawal still use it).
CREATE TABLE core.product_prices (
    product_id BIGINT        NOT NULL,
    price      DECIMAL(18,2) NOT NULL,
    valid_from TIMESTAMP     NOT NULL,
    valid_to   TIMESTAMP,
    PRIMARY KEY (product_id, valid_from)
);

-- MARTS, rebuilt in full from CORE by Transform, without primary keys (see
-- 005_marts.sql). Definitions: docs/MARTS.md.

CREATE TABLE marts.cohort_retention (
    granularity      VARCHAR      NOT NULL,  -- month, week
    cohort_start     DATE         NOT NULL,
    period_offset    INTEGER      NOT NULL,
    period_start     DATE         NOT NULL,
    cohort_size      BIGINT       NOT NULL,
    active_customers BIGINT       NOT NULL,
    retention_rate   DECIMAL(9,4) NOT NULL,
    period_complete  BOOLEAN      NOT NULL
);

CREATE TABLE marts.customer_ltv (
    user_id          BIGINT        NOT NULL,
    first_order_date DATE          NOT NULL,
    cohort_month     DATE          NOT NULL,
    orders           BIGINT        NOT NULL,
    revenue          DECIMAL(18,2) NOT NULL,
    revenue_30d      DECIMAL(18,2),
    revenue_90d      DECIMAL(18,2),
    revenue_365d     DECIMAL(18,2)
);

CREATE TABLE marts.cohort_ltv (
    cohort_month      DATE          NOT NULL,
    horizon_days      INTEGER       NOT NULL,
    cohort_customers  BIGINT        NOT NULL,
    matured_customers BIGINT        NOT NULL,
    revenue           DECIMAL(18,2) NOT NULL,
    avg_revenue       DECIMAL(18,2)
);

CREATE TABLE marts.product_conversion (
    date                  DATE   NOT NULL,
    product_id            BIGINT NOT NULL,
    view_sessions         BIGINT NOT NULL,
    cart_sessions         BIGINT NOT NULL,
    purchase_sessions     BIGINT NOT NULL,
    view_to_cart_rate     DECIMAL(9,4),
    view_to_purchase_rate DECIMAL(9,4)
);

CREATE TABLE marts.category_conversion (
    date                  DATE    NOT NULL,
    category              VARCHAR NOT NULL,
    view_sessions         BIGINT  NOT NULL,
    cart_sessions         BIGINT  NOT NULL,
    purchase_sessions     BIGINT  NOT NULL,
    view_to_cart_rate     DECIMAL(9,4),
    view_to_purchase_rate DECIMAL(9,4)
);

CREATE TABLE marts.purchase_reconciliation (
    date                   DATE   NOT NULL,
    orders                 BIGINT NOT NULL,
    tracked_orders         BIGINT NOT NULL,
    untracked_orders       BIGINT NOT NULL,
    purchase_events        BIGINT NOT NULL,
    orphan_purchase_events BIGINT NOT NULL,
    tracking_loss_rate     DECIMAL(9,4)
);
