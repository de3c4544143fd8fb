-- MARTS: rebuilt in full from CORE by Transform (models/marts_*.sql). No
-- primary keys: a rebuild deletes and re-inserts the same keys in one
-- transaction, which DuckDB's unique indexes do not allow.

CREATE TABLE marts.daily_kpis (
    date                DATE NOT NULL,
    sessions            BIGINT NOT NULL,
    converting_sessions BIGINT NOT NULL,
    orders              BIGINT NOT NULL,
    revenue             DECIMAL(18,2) NOT NULL,
    avg_order_value     DECIMAL(18,2),
    conversion_rate     DECIMAL(9,4)
);

CREATE TABLE marts.session_funnel (
    date                     DATE NOT NULL,
    step_order               INTEGER NOT NULL,
    step                     VARCHAR NOT NULL,
    sessions                 BIGINT NOT NULL,
    conversion_from_previous DECIMAL(9,4)
);
