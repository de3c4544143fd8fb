-- marts.traffic_by_hour (docs/MARTS.md §16): daily_kpis split by the UTC
-- hour of the day, with the date's ISO weekday: sessions by the hour of
-- their first event, completed orders by the hour they were placed.
-- Rebuilt on every run (models/marts_traffic_by_hour.sql).
CREATE TABLE marts.traffic_by_hour (
    date                DATE          NOT NULL,
    hour                INTEGER       NOT NULL, -- 0..23, UTC
    weekday             INTEGER       NOT NULL, -- ISO: 1 = Monday .. 7 = Sunday
    sessions            BIGINT        NOT NULL,
    converting_sessions BIGINT        NOT NULL,
    orders              BIGINT        NOT NULL,
    revenue             DECIMAL(18,2) NOT NULL
);
