-- marts.revenue_daily (docs/MARTS.md §11): what a day sold, cancelled and
-- refunded, each on its own date, so that a refund arriving later changes
-- the day it happens, not the day of the order. Rebuilt on every run
-- (models/marts_revenue_daily.sql).
CREATE TABLE marts.revenue_daily (
    date             DATE          NOT NULL,
    orders_placed    BIGINT        NOT NULL,
    gross_sales      DECIMAL(18,2) NOT NULL,
    cancelled_orders BIGINT        NOT NULL,
    cancelled_sales  DECIMAL(18,2) NOT NULL,
    refunded_units   BIGINT        NOT NULL,
    refunds          DECIMAL(18,2) NOT NULL,
    net_sales        DECIMAL(18,2) NOT NULL
);
