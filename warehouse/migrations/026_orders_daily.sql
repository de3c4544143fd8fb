-- marts.orders_daily (docs/MARTS.md §14): who ordered each day and what the
-- baskets held: daily_kpis' completed orders split between new and
-- returning customers (customer_ltv's first order), units and lines per
-- order, and the cumulative repeat customer rate. Rebuilt on every run
-- (models/marts_orders_daily.sql).
CREATE TABLE marts.orders_daily (
    date                       DATE          NOT NULL,
    orders                     BIGINT        NOT NULL,
    customers                  BIGINT        NOT NULL,
    new_customers              BIGINT        NOT NULL,
    returning_customers        BIGINT        NOT NULL,
    new_customer_orders        BIGINT        NOT NULL,
    returning_customer_orders  BIGINT        NOT NULL,
    new_customer_revenue       DECIMAL(18,2) NOT NULL,
    returning_customer_revenue DECIMAL(18,2) NOT NULL,
    units                      BIGINT        NOT NULL,
    lines                      BIGINT        NOT NULL,
    avg_units_per_order        DECIMAL(9,2)  NOT NULL, -- units / orders
    avg_lines_per_order        DECIMAL(9,2)  NOT NULL, -- lines / orders
    repeat_customer_rate       DECIMAL(9,4)  NOT NULL  -- customers with 2+ orders by the date / with 1+
);
