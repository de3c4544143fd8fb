-- core.events: one row per event_id. Among copies of an event (producer
-- retries, replays, duplicate objects) the earliest ingestion_time wins, then
-- the smallest (shard_id, sequence_number), sequence numbers compared as
-- numbers (length first), then raw_key and row position.
CREATE OR REPLACE TEMP TABLE src_events AS
SELECT event_id, event_type, event_time, ingestion_time, session_id, user_id,
       anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number
FROM (
    SELECT e.*,
           row_number() OVER (PARTITION BY event_id
                              ORDER BY ingestion_time ASC, shard_id ASC,
                                       length(sequence_number) ASC, sequence_number ASC,
                                       raw_key ASC, row_no ASC) AS rn
    FROM staging.events AS e
) AS ranked
WHERE rn = 1;

MERGE INTO core.events AS t
USING src_events AS s
ON t.event_id = s.event_id
WHEN MATCHED AND (t.event_type IS DISTINCT FROM s.event_type
               OR t.event_time IS DISTINCT FROM s.event_time
               OR t.ingestion_time IS DISTINCT FROM s.ingestion_time
               OR t.session_id IS DISTINCT FROM s.session_id
               OR t.user_id IS DISTINCT FROM s.user_id
               OR t.anonymous_id IS DISTINCT FROM s.anonymous_id
               OR t.product_id IS DISTINCT FROM s.product_id
               OR t.quantity IS DISTINCT FROM s.quantity
               OR t.price IS DISTINCT FROM s.price
               OR t.order_id IS DISTINCT FROM s.order_id
               OR t.shard_id IS DISTINCT FROM s.shard_id
               OR t.sequence_number IS DISTINCT FROM s.sequence_number) THEN
    UPDATE SET event_type = s.event_type, event_time = s.event_time,
               ingestion_time = s.ingestion_time, session_id = s.session_id,
               user_id = s.user_id, anonymous_id = s.anonymous_id,
               product_id = s.product_id, quantity = s.quantity, price = s.price,
               order_id = s.order_id, shard_id = s.shard_id,
               sequence_number = s.sequence_number
WHEN NOT MATCHED THEN
    INSERT (event_id, event_type, event_time, ingestion_time, session_id, user_id,
            anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number)
    VALUES (s.event_id, s.event_type, s.event_time, s.ingestion_time, s.session_id, s.user_id,
            s.anonymous_id, s.product_id, s.quantity, s.price, s.order_id, s.shard_id,
            s.sequence_number)
RETURNING merge_action;
