-- Records one run: $1 run_id ... $13 days_queued (see 009_transform_runs.sql),
-- $14 phase, $15 error, $16 finished_at (see 011_run_attempts.sql),
-- $17 accepted_empty (014_accepted_empty.sql).
INSERT INTO meta.transform_runs (run_id, mode, status, as_of, from_load_seq, to_load_seq, lateness_s,
                                 max_event_time, watermark, events_in, late_events, days_rebuilt, days_queued,
                                 phase, error, finished_at, accepted_empty)
VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP), $5, $6, $7, CAST($8 AS TIMESTAMP), CAST($9 AS TIMESTAMP), $10, $11, $12, $13,
        $14, $15, CAST($16 AS TIMESTAMP), $17);
