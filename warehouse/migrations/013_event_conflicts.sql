-- Conflicting versions of an event: an event_id that arrived with more than
-- one payload (a client that reused an id, a producer that changed a record
-- between two sends). The consumer keeps every version in RAW; CORE keeps
-- one, by the rule of models/core_events.sql: the version whose first copy
-- arrived first (ingestion_time), then the smallest shard_id, then the
-- smallest sequence number. One row per version of every conflicting
-- event_id, maintained by core_events.sql in the same transaction as CORE
-- (rebuilt on a full refresh, with the same rows). Exact copies (same
-- payload) are plain duplicates and are not recorded. The check
-- events_unique_payload reports these rows.
CREATE TABLE meta.event_conflicts (
    event_id        VARCHAR   NOT NULL,
    payload_hash    VARCHAR   NOT NULL, -- md5 of the payload's canonical text (see core_events.sql)
    ingestion_time  TIMESTAMP NOT NULL, -- the version's first copy: its arrival,
    shard_id        VARCHAR   NOT NULL, -- shard
    sequence_number VARCHAR   NOT NULL, -- and sequence number (find it in RAW by these)
    kept            BOOLEAN   NOT NULL, -- the version CORE holds
    reason          VARCHAR   NOT NULL  -- why it was kept, or why it was not
);
