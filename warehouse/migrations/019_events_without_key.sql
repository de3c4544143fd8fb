-- core.events without its PRIMARY KEY. DuckDB keeps such an index whole in
-- memory and, within a transaction, the entries of deleted rows beside the
-- new ones: a full refresh of a million events ran out of the warehouse's
-- memory limit (384MB) in core_events, and a day of ten million needed
-- gigabytes. One row per event_id is what models/core_events.sql makes
-- (deduplicated in the batch and against CORE, then MERGE on event_id); the
-- blocking check events_unique_id verifies it for every id a run writes.
-- Redshift does not enforce primary keys anyway. The table is rebuilt
-- (DuckDB cannot drop a primary key), rows and column order unchanged.
CREATE TABLE core.events_019 (
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
    shard_id        VARCHAR NOT NULL,
    sequence_number VARCHAR NOT NULL
);

INSERT INTO core.events_019
SELECT event_id, event_type, event_time, ingestion_time, session_id, user_id, anonymous_id,
       product_id, quantity, price, order_id, shard_id, sequence_number
FROM core.events;

DROP TABLE core.events;

ALTER TABLE core.events_019 RENAME TO events;
