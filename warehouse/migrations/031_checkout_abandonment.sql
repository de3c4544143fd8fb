-- marts.checkout_abandonment (docs/MARTS.md §18): of the sessions that
-- added to the cart, or began the checkout, how many left without buying,
-- per date. A partition model rebuilt by affected_days, from core.sessions
-- (models/marts_checkout_abandonment.sql).
CREATE TABLE marts.checkout_abandonment (
    date                      DATE         NOT NULL,
    sessions                  BIGINT       NOT NULL,
    carts                     BIGINT       NOT NULL,
    checkouts                 BIGINT       NOT NULL,
    purchases                 BIGINT       NOT NULL,
    cart_abandonment_rate     DECIMAL(9,4),
    checkout_abandonment_rate DECIMAL(9,4)
);
