-- The state of incremental transforms. One row per Transform run: a
-- promoted run moved CORE and MARTS; a blocked run (a blocking check
-- failed) moved nothing. The last promoted run says which staging rows are
-- done (load_seq <= to_load_seq) and where the watermark is. No wall-clock
-- time: run ids count runs, times come from the data and from as_of.
CREATE TABLE meta.transform_runs (
    run_id          BIGINT    PRIMARY KEY,
    mode            VARCHAR   NOT NULL, -- incremental, full_refresh, backfill
    status          VARCHAR   NOT NULL, -- promoted, blocked
    as_of           TIMESTAMP,          -- TransformOptions.AsOf; NULL if not given
    from_load_seq   BIGINT    NOT NULL, -- staging rows with from < load_seq <= to were processed
    to_load_seq     BIGINT    NOT NULL,
    lateness_s      BIGINT    NOT NULL, -- allowed lateness, seconds
    max_event_time  TIMESTAMP,          -- latest event_time in CORE after the run
    watermark       TIMESTAMP,          -- max_event_time - lateness (never moves back); days before its date are final
    events_in       BIGINT    NOT NULL, -- events inserted or updated in CORE
    late_events     BIGINT    NOT NULL, -- of those, events of a day already final (flagged in meta.late_events)
    days_rebuilt    BIGINT    NOT NULL, -- mart partitions (dates) rebuilt
    days_queued     BIGINT    NOT NULL  -- final days queued for backfill by this run
);

-- Events that arrived after their day was final: kept in CORE, flagged
-- here; their day is in meta.backfill_queue until a backfill rebuilds it.
CREATE TABLE meta.late_events (
    event_id       VARCHAR   NOT NULL,
    event_time     TIMESTAMP NOT NULL,
    ingestion_time TIMESTAMP NOT NULL,
    run_id         BIGINT    NOT NULL, -- the run that found it late
    watermark      TIMESTAMP NOT NULL  -- the watermark it arrived behind
);

-- Final days whose marts are stale: late events arrived for them. A
-- backfill (shoplake transform --backfill) or a full refresh rebuilds them
-- and sets done_run.
CREATE TABLE meta.backfill_queue (
    day        DATE    NOT NULL,
    queued_run BIGINT  NOT NULL,
    reason     VARCHAR NOT NULL,
    done_run   BIGINT              -- NULL while pending
);
