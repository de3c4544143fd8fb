-- marts.product_sales (docs/MARTS.md §12) and marts.category_sales (§13):
-- what each product, and each category, sold, cancelled and refunded,
-- every amount on its own date as in marts.revenue_daily (§11), with the
-- day's rank by net sales. Summed over a date's products (or categories),
-- the amounts are revenue_daily's. Rebuilt on every run
-- (models/marts_product_sales.sql, models/marts_category_sales.sql).
CREATE TABLE marts.product_sales (
    date            DATE          NOT NULL,
    product_id      BIGINT        NOT NULL,
    category        VARCHAR       NOT NULL, -- core.products.category; '' when missing
    orders_placed   BIGINT        NOT NULL,
    units_sold      BIGINT        NOT NULL,
    gross_sales     DECIMAL(18,2) NOT NULL,
    cancelled_units BIGINT        NOT NULL,
    cancelled_sales DECIMAL(18,2) NOT NULL,
    refunded_units  BIGINT        NOT NULL,
    refunds         DECIMAL(18,2) NOT NULL,
    net_units       BIGINT        NOT NULL,
    net_sales       DECIMAL(18,2) NOT NULL,
    net_sales_rank  INTEGER       NOT NULL  -- 1 = the date's highest net_sales; ties by product_id
);

CREATE TABLE marts.category_sales (
    date            DATE          NOT NULL,
    category        VARCHAR       NOT NULL,
    orders_placed   BIGINT        NOT NULL, -- distinct orders with a product of the category
    units_sold      BIGINT        NOT NULL,
    gross_sales     DECIMAL(18,2) NOT NULL,
    cancelled_units BIGINT        NOT NULL,
    cancelled_sales DECIMAL(18,2) NOT NULL,
    refunded_units  BIGINT        NOT NULL,
    refunds         DECIMAL(18,2) NOT NULL,
    net_units       BIGINT        NOT NULL,
    net_sales       DECIMAL(18,2) NOT NULL,
    net_sales_rank  INTEGER       NOT NULL  -- 1 = the date's highest net_sales; ties by category, bytewise
);
