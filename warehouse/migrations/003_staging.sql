-- STAGING: typed rows of RAW objects, append-only. Every row keeps the RAW
-- key it came from (raw_key), the load that wrote it (load_seq) and its
-- position in the object (row_no, 1-based), so that any choice among
-- duplicates can be made deterministically. Emails never land here: Load
-- hashes them in Go.

CREATE TABLE staging.fakestore_users (
    raw_key       VARCHAR NOT NULL,
    load_seq      BIGINT  NOT NULL,
    snapshot_date DATE    NOT NULL,   -- dt= of the key
    row_no        BIGINT  NOT NULL,
    user_id       BIGINT  NOT NULL,
    email_hash    VARCHAR,            -- hex HMAC-SHA256 of lower(trim(email)); NULL if no email
    country       VARCHAR,
    created_at    TIMESTAMP
);

CREATE TABLE staging.fakestore_products (
    raw_key       VARCHAR NOT NULL,
    load_seq      BIGINT  NOT NULL,
    snapshot_date DATE    NOT NULL,
    row_no        BIGINT  NOT NULL,
    product_id    BIGINT  NOT NULL,
    title         VARCHAR NOT NULL,
    price         DECIMAL(18,2) NOT NULL,
    description   VARCHAR,
    category      VARCHAR,            -- as served; CORE trims and lower-cases it
    image         VARCHAR
);

-- One row per cart as served (duplicates included).
CREATE TABLE staging.fakestore_carts (
    raw_key       VARCHAR NOT NULL,
    load_seq      BIGINT  NOT NULL,
    snapshot_date DATE    NOT NULL,
    row_no        BIGINT  NOT NULL,   -- the cart's position in the API array
    cart_id       BIGINT  NOT NULL,
    user_id       BIGINT  NOT NULL,
    cart_date     TIMESTAMP NOT NULL, -- UTC
    status        VARCHAR NOT NULL    -- 'completed' when the API omits it
);

-- One row per cart line; (raw_key, cart_row_no) joins it to its cart.
CREATE TABLE staging.fakestore_cart_items (
    raw_key       VARCHAR NOT NULL,
    load_seq      BIGINT  NOT NULL,
    snapshot_date DATE    NOT NULL,
    cart_row_no   BIGINT  NOT NULL,
    line_no       BIGINT  NOT NULL,   -- 1-based, in the cart's product order
    cart_id       BIGINT  NOT NULL,
    product_id    BIGINT  NOT NULL,
    quantity      BIGINT  NOT NULL
);

-- One row per RAW event record (stream.RawRecord), duplicates included.
CREATE TABLE staging.events (
    raw_key         VARCHAR NOT NULL,
    load_seq        BIGINT  NOT NULL,
    row_no          BIGINT  NOT NULL, -- 1-based line of the NDJSON object
    event_id        VARCHAR NOT NULL,
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
    schema_version  BIGINT  NOT NULL,
    shard_id        VARCHAR NOT NULL,
    sequence_number VARCHAR NOT NULL  -- decimal string; compare by (length, value)
);
