-- marts.order_attribution (docs/MARTS.md §15): which traffic source sold.
-- Every completed order (daily_kpis' orders) is credited under two models,
-- first_touch and last_touch, to one session's channel and UTM values, or
-- to '(untracked)'. Rebuilt on every run (models/marts_order_attribution.sql).
CREATE TABLE marts.order_attribution (
    date         DATE          NOT NULL, -- the orders' date
    model        VARCHAR       NOT NULL, -- 'first_touch' or 'last_touch'
    channel      VARCHAR       NOT NULL,
    utm_source   VARCHAR       NOT NULL,
    utm_medium   VARCHAR       NOT NULL,
    utm_campaign VARCHAR       NOT NULL,
    orders       BIGINT        NOT NULL,
    revenue      DECIMAL(18,2) NOT NULL
);
