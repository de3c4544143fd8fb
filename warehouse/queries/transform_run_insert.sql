-- $1 run_id, $2 mode, $3 as_of, $4 from_load_seq, $5 to_load_seq,
-- $6 prev_watermark, $7 lateness_s, $8 accept_empty, $9 backfill_limit,
-- $10 final_before: the date of prev_watermark in the business time zone.
INSERT INTO transform_run (run_id, mode, as_of, from_load_seq, to_load_seq, prev_watermark, final_before, lateness_s, accept_empty, backfill_limit)
VALUES ($1, $2, CAST($3 AS TIMESTAMP), $4, $5, CAST($6 AS TIMESTAMP), CAST($10 AS DATE), $7, $8, $9);
