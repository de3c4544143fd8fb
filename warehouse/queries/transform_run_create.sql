-- The parameters of one Transform run for the models and checks
-- (transform.go): one row, filled by transform_run_insert.sql.
CREATE TEMP TABLE transform_run (
    run_id         BIGINT,
    mode           VARCHAR,    -- incremental, full_refresh, backfill
    as_of          TIMESTAMP,  -- TransformOptions.AsOf; NULL if not given
    from_load_seq  BIGINT,     -- staging rows with from < load_seq <= to are new to CORE
    to_load_seq    BIGINT,
    prev_watermark TIMESTAMP,  -- the last promoted run's watermark; NULL on the first run and on a full refresh
    final_before   DATE,       -- CAST(prev_watermark AS DATE): earlier days are final
    lateness_s     BIGINT,
    accept_empty   VARCHAR,    -- TransformOptions.AcceptEmpty joined by commas ('' for none)
    backfill_limit BIGINT      -- TransformOptions.BackfillLimit: queued days an incremental run rebuilds
);
