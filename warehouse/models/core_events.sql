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
       anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number,
       device_type, device_os, device_browser, channel, utm_source, utm_medium,
       utm_campaign, referrer_host, page_path, country, extra
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

-- Conflicting versions (meta.event_conflicts, migration 013): an event_id
-- whose copies carry different payloads. A payload is identified by the md5
-- of its canonical text: every column CORE keeps but the id and the stream
-- position (arrival, shard, sequence number), NULL told apart from '', the
-- dimensions and extra fields of contract version 2 included. The
-- version kept is the one CORE keeps by the order above: the version whose
-- first copy arrived first, then the smallest shard_id, then the smallest
-- sequence number; this does not depend on the order in which shards were
-- read or objects loaded. A version is represented by its first copy in
-- that order. A run brings together, for every event_id it reads, the
-- versions already recorded, the copy CORE holds (before this run's MERGE)
-- and the run's new copies: each version's first copy is the minimum over
-- all its copies, so the rows equal those of a full refresh, which starts
-- from an empty table. The consumer hashes the same event (plus its
-- schema_version) to tell exact copies from conflicts (stream/dedup.go).
DELETE FROM meta.event_conflicts
WHERE EXISTS (SELECT 1 FROM transform_run WHERE mode = 'full_refresh');

CREATE OR REPLACE TEMP TABLE event_versions AS
WITH new_copies AS (
    SELECT e.event_id,
           md5(e.event_type || '|' || CAST(e.event_time AS VARCHAR) || '|' || e.session_id
               || '|' || COALESCE('=' || CAST(e.user_id AS VARCHAR), '') || '|' || COALESCE('=' || e.anonymous_id, '')
               || '|' || COALESCE('=' || CAST(e.product_id AS VARCHAR), '') || '|' || COALESCE('=' || CAST(e.quantity AS VARCHAR), '')
               || '|' || COALESCE('=' || CAST(e.price AS VARCHAR), '') || '|' || COALESCE('=' || CAST(e.order_id AS VARCHAR), '')
               || '|' || e.device_type || '|' || e.device_os || '|' || e.device_browser || '|' || e.channel
               || '|' || e.utm_source || '|' || e.utm_medium || '|' || e.utm_campaign || '|' || e.referrer_host
               || '|' || e.page_path || '|' || e.country || '|' || COALESCE('=' || e.extra, '')) AS payload_hash,
           e.ingestion_time, e.shard_id, e.sequence_number
    FROM staging.events AS e
    CROSS JOIN transform_run AS r
    WHERE e.load_seq > r.from_load_seq AND e.load_seq <= r.to_load_seq
),
ids AS (
    SELECT DISTINCT event_id FROM new_copies
),
copies AS (
    SELECT event_id, payload_hash, ingestion_time, shard_id, sequence_number FROM new_copies
    UNION ALL
    SELECT c.event_id, c.payload_hash, c.ingestion_time, c.shard_id, c.sequence_number
    FROM meta.event_conflicts AS c
    JOIN ids ON ids.event_id = c.event_id
    UNION ALL
    SELECT t.event_id,
           md5(t.event_type || '|' || CAST(t.event_time AS VARCHAR) || '|' || t.session_id
               || '|' || COALESCE('=' || CAST(t.user_id AS VARCHAR), '') || '|' || COALESCE('=' || t.anonymous_id, '')
               || '|' || COALESCE('=' || CAST(t.product_id AS VARCHAR), '') || '|' || COALESCE('=' || CAST(t.quantity AS VARCHAR), '')
               || '|' || COALESCE('=' || CAST(t.price AS VARCHAR), '') || '|' || COALESCE('=' || CAST(t.order_id AS VARCHAR), '')
               || '|' || t.device_type || '|' || t.device_os || '|' || t.device_browser || '|' || t.channel
               || '|' || t.utm_source || '|' || t.utm_medium || '|' || t.utm_campaign || '|' || t.referrer_host
               || '|' || t.page_path || '|' || t.country || '|' || COALESCE('=' || t.extra, '')),
           t.ingestion_time, t.shard_id, t.sequence_number
    FROM core.events AS t
    JOIN ids ON ids.event_id = t.event_id
),
firsts AS (
    SELECT event_id, payload_hash, ingestion_time, shard_id, sequence_number
    FROM (
        SELECT c.*,
               row_number() OVER (PARTITION BY c.event_id, c.payload_hash
                                  ORDER BY c.ingestion_time ASC, c.shard_id ASC,
                                           length(c.sequence_number) ASC, c.sequence_number ASC) AS rn
        FROM copies AS c
    ) AS ranked
    WHERE rn = 1
),
conflicted AS (
    SELECT event_id FROM firsts GROUP BY event_id HAVING count(*) > 1
)
SELECT f.*,
       row_number() OVER (PARTITION BY f.event_id
                          ORDER BY f.ingestion_time ASC, f.shard_id ASC,
                                   length(f.sequence_number) ASC, f.sequence_number ASC) AS pos
FROM firsts AS f
JOIN conflicted AS k ON k.event_id = f.event_id;

DELETE FROM meta.event_conflicts
WHERE event_id IN (SELECT event_id FROM event_versions);

-- The kept version's reason compares it with the runner-up; every other
-- version's reason compares it with the kept one.
INSERT INTO meta.event_conflicts (event_id, payload_hash, ingestion_time, shard_id, sequence_number, kept, reason)
SELECT v.event_id, v.payload_hash, v.ingestion_time, v.shard_id, v.sequence_number, v.pos = 1,
       CASE
           WHEN v.pos = 1 AND v.ingestion_time < o.ingestion_time THEN 'kept: earliest arrival (ingestion_time)'
           WHEN v.pos = 1 AND v.shard_id < o.shard_id THEN 'kept: same arrival, smallest shard_id'
           WHEN v.pos = 1 THEN 'kept: same arrival and shard, smallest sequence_number'
           WHEN v.ingestion_time > o.ingestion_time THEN 'superseded ' || o.payload_hash || ': arrived later'
           WHEN v.shard_id > o.shard_id THEN 'superseded ' || o.payload_hash || ': same arrival, larger shard_id'
           ELSE 'superseded ' || o.payload_hash || ': same arrival and shard, larger sequence_number'
       END
FROM event_versions AS v
JOIN event_versions AS o
  ON o.event_id = v.event_id AND o.pos = CASE WHEN v.pos = 1 THEN 2 ELSE 1 END;

DROP TABLE event_versions;

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

-- The sessions this run changes (read by core_sessions.sql and
-- affected_days.sql): those of the copies it inserts or puts in, and those
-- of the copies they replace, which a session may lose.
CREATE OR REPLACE TEMP TABLE changed_sessions AS
SELECT session_id FROM changed_events
UNION
SELECT t.session_id
FROM core.events AS t
JOIN changed_events AS s ON s.event_id = t.event_id;

MERGE INTO core.events AS t
USING changed_events AS s
ON t.event_id = s.event_id
WHEN MATCHED THEN
    UPDATE SET event_type = s.event_type, event_time = s.event_time,
               ingestion_time = s.ingestion_time, session_id = s.session_id,
               user_id = s.user_id, anonymous_id = s.anonymous_id,
               product_id = s.product_id, quantity = s.quantity, price = s.price,
               order_id = s.order_id, shard_id = s.shard_id,
               sequence_number = s.sequence_number,
               device_type = s.device_type, device_os = s.device_os,
               device_browser = s.device_browser, channel = s.channel,
               utm_source = s.utm_source, utm_medium = s.utm_medium,
               utm_campaign = s.utm_campaign, referrer_host = s.referrer_host,
               page_path = s.page_path, country = s.country, extra = s.extra
WHEN NOT MATCHED THEN
    INSERT (event_id, event_type, event_time, ingestion_time, session_id, user_id,
            anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number,
            device_type, device_os, device_browser, channel, utm_source, utm_medium,
            utm_campaign, referrer_host, page_path, country, extra)
    VALUES (s.event_id, s.event_type, s.event_time, s.ingestion_time, s.session_id, s.user_id,
            s.anonymous_id, s.product_id, s.quantity, s.price, s.order_id, s.shard_id,
            s.sequence_number, s.device_type, s.device_os, s.device_browser, s.channel,
            s.utm_source, s.utm_medium, s.utm_campaign, s.referrer_host, s.page_path,
            s.country, s.extra)
RETURNING merge_action;
