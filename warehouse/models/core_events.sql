-- core.events: one row per event_id, maintained incrementally. A run reads
-- only the staging rows it has not processed (transform_run: load_seq in
-- (from_load_seq, to_load_seq]; a full refresh reads them all into an empty
-- table). Among copies of an event (producer retries, replays, duplicate
-- objects) the earliest ingestion_time wins, then the smallest (shard_id,
-- sequence_number), sequence numbers compared as numbers (length first),
-- then raw_key and row position: inside the batch by row_number, against
-- CORE by the same order on the columns CORE keeps (copies that tie on all
-- of them are the same Kinesis record, with the same payload). So the
-- incremental runs and a full refresh keep the same copy.
CREATE OR REPLACE TEMP TABLE src_events AS
SELECT event_id, event_type, event_time, ingestion_time, session_id, user_id,
       anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number
FROM (
    SELECT e.*,
           row_number() OVER (PARTITION BY e.event_id
                              ORDER BY e.ingestion_time ASC, e.shard_id ASC,
                                       length(e.sequence_number) ASC, e.sequence_number ASC,
                                       e.raw_key ASC, e.row_no ASC) AS rn
    FROM staging.events AS e
    CROSS JOIN transform_run AS r
    WHERE e.load_seq > r.from_load_seq AND e.load_seq <= r.to_load_seq
) AS ranked
WHERE rn = 1;

-- The events this run inserts or replaces: new ids, and copies that come
-- before the one CORE holds. Read by affected_days.sql and the checks.
CREATE OR REPLACE TEMP TABLE changed_events AS
SELECT s.*
FROM src_events AS s
LEFT JOIN core.events AS t ON t.event_id = s.event_id
WHERE t.event_id IS NULL
   OR s.ingestion_time < t.ingestion_time
   OR (s.ingestion_time = t.ingestion_time
       AND (s.shard_id < t.shard_id
            OR (s.shard_id = t.shard_id
                AND (length(s.sequence_number) < length(t.sequence_number)
                     OR (length(s.sequence_number) = length(t.sequence_number)
                         AND s.sequence_number < t.sequence_number)))));

MERGE INTO core.events AS t
USING changed_events AS s
ON t.event_id = s.event_id
WHEN MATCHED THEN
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
