-- marts.traffic_sources (docs/MARTS.md §10): sessions by date, channel,
-- device type and country, with the funnel steps they reached. A
-- partition model (models/marts_traffic_sources.sql), rebuilt by date.
CREATE TABLE marts.traffic_sources (
    date                   DATE    NOT NULL,
    channel                VARCHAR NOT NULL,
    device_type            VARCHAR NOT NULL,
    country                VARCHAR NOT NULL,
    sessions               BIGINT  NOT NULL,
    reached_product_view   BIGINT  NOT NULL,
    reached_add_to_cart    BIGINT  NOT NULL,
    reached_begin_checkout BIGINT  NOT NULL,
    reached_purchase       BIGINT  NOT NULL,
    funnel_conversion      DECIMAL(9,4)      -- reached_purchase / sessions
);
