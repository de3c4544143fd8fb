-- CORE: one row per business key, maintained by MERGE (models/core_*.sql).

CREATE TABLE core.users (
    user_id    BIGINT PRIMARY KEY,
    email_hash VARCHAR,
    country    VARCHAR,
    created_at TIMESTAMP
);

CREATE TABLE core.products (
    product_id BIGINT PRIMARY KEY,
    name       VARCHAR NOT NULL,
    category   VARCHAR,
    price      DECIMAL(18,2) NOT NULL,
    is_active  BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL     -- first snapshot date that listed it
);

CREATE TABLE core.orders (
    order_id     BIGINT PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    order_status VARCHAR NOT NULL,
    order_total  DECIMAL(18,2) NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE core.order_items (
    order_item_id VARCHAR PRIMARY KEY, -- '<order_id>:<line_no>'
    order_id      BIGINT NOT NULL,
    product_id    BIGINT NOT NULL,
    quantity      BIGINT NOT NULL,
    unit_price    DECIMAL(18,2)        -- NULL only if no snapshot ever listed the product
);

CREATE TABLE core.events (
    event_id        VARCHAR PRIMARY KEY,
    event_type      VARCHAR NOT NULL,
    event_time      TIMESTAMP NOT NULL,
    ingestion_time  TIMESTAMP NOT NULL,
    session_id      VARCHAR NOT NULL,
    user_id         BIGINT,
    anonymous_id    VARCHAR,
    product_id      BIGINT,
    quantity        BIGINT,
    price           DECIMAL(18,2),
    order_id        BIGINT,
    shard_id        VARCHAR NOT NULL,
    sequence_number VARCHAR NOT NULL
);
