-- Where the events the warehouse received ended up, in one read (see
-- accounting.go). A stream record is one (event_id, shard_id,
-- sequence_number): a staging row that repeats one is the same record in
-- RAW twice (two consumers, a copied object), not a record sent twice. The rows with
-- load_seq up to the last promoted run's to_load_seq are transformed.
--   through       that to_load_seq (0 before the first promoted run)
--   staging_rows  rows of staging.events
--   records       distinct stream records among them
--   transformed   of which transformed
--   versions      distinct (event_id, payload) among the transformed rows;
--                 the payload is every column CORE keeps but the id and the
--                 stream position, as in models/core_events.sql
--   in_core       rows of core.events
--   conflicting   event ids with more than one version (meta.event_conflicts)
--   superseded    their versions CORE does not keep
--   objects       RAW objects Load set aside (meta.quarantined_objects)
WITH through AS (
    SELECT COALESCE((SELECT to_load_seq FROM meta.transform_runs
                     WHERE status = 'promoted' ORDER BY run_id DESC LIMIT 1), 0) AS load_seq
)
SELECT (SELECT load_seq FROM through),
       (SELECT count(*) FROM staging.events),
       (SELECT count(*) FROM (SELECT DISTINCT event_id, shard_id, sequence_number FROM staging.events) AS r),
       (SELECT count(*) FROM (SELECT DISTINCT e.event_id, e.shard_id, e.sequence_number
                              FROM staging.events AS e CROSS JOIN through AS t
                              WHERE e.load_seq <= t.load_seq) AS r),
       (SELECT count(*) FROM (SELECT DISTINCT e.event_id, e.event_type, e.event_time, e.session_id, e.user_id,
                                     e.anonymous_id, e.product_id, e.quantity, e.price, e.order_id
                              FROM staging.events AS e CROSS JOIN through AS t
                              WHERE e.load_seq <= t.load_seq) AS v),
       (SELECT count(*) FROM core.events),
       (SELECT count(DISTINCT event_id) FROM meta.event_conflicts),
       (SELECT count(*) FROM meta.event_conflicts WHERE NOT kept),
       (SELECT count(*) FROM meta.quarantined_objects);
