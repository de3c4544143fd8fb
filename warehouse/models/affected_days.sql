-- affected_days (temporary): the dates whose mart partitions this run
-- rebuilds (the partition models marts_daily_kpis, marts_session_funnel).
-- Also flags late events and queues final days for backfill.
--
-- A session counts on the date of its earliest event, and its events may
-- span several dates, so the dates an event touches are every date on which
-- its session has an event; a copy that replaces another touches the dates
-- of both sessions (changed_sessions, core_events.sql). Days before transform_run.final_before (the
-- date of the previous run's watermark) are final: new events there are
-- flagged in meta.late_events and their days queued in meta.backfill_queue.
-- Every run then rebuilds queued days, oldest first: an incremental run at
-- most transform_run.backfill_limit of them (so that a late burst over
-- months cannot make one run rebuild everything), a backfill or a full
-- refresh all of them. As long as the queue fits the limit, every mart is
-- consistent after the run that brought the late events; days left queued
-- fail the warning check backfill_pending, which names them.
-- Changed orders rebuild their (old and new) dates, final or not: the
-- batch source corrects itself. A full refresh starts from empty CORE and
-- MARTS, so every date is affected.
CREATE OR REPLACE TEMP TABLE event_days AS
SELECT DISTINCT {{local_date "e.event_time"}} AS day
FROM core.events AS e
WHERE e.session_id IN (SELECT session_id FROM changed_sessions);

INSERT INTO meta.late_events (event_id, event_time, ingestion_time, run_id, watermark)
SELECT c.event_id, c.event_time, c.ingestion_time, r.run_id, r.prev_watermark
FROM changed_events AS c
CROSS JOIN transform_run AS r
WHERE r.final_before IS NOT NULL AND c.event_time < CAST(r.final_before AS TIMESTAMP);

INSERT INTO meta.backfill_queue (day, queued_run, reason, done_run)
SELECT d.day, r.run_id, 'late events', NULL
FROM event_days AS d
CROSS JOIN transform_run AS r
WHERE r.final_before IS NOT NULL AND d.day < r.final_before
  AND NOT EXISTS (SELECT 1 FROM meta.backfill_queue AS q WHERE q.day = d.day AND q.done_run IS NULL);

-- backfill_days (temporary): the queued days this run rebuilds.
CREATE OR REPLACE TEMP TABLE backfill_days AS
SELECT q.day
FROM (
    SELECT day, row_number() OVER (ORDER BY day) AS n
    FROM meta.backfill_queue
    WHERE done_run IS NULL
) AS q
CROSS JOIN transform_run AS r
WHERE r.mode IN ('backfill', 'full_refresh') OR q.n <= r.backfill_limit;

CREATE OR REPLACE TEMP TABLE affected_days AS
SELECT d.day
FROM event_days AS d
CROSS JOIN transform_run AS r
WHERE r.final_before IS NULL OR d.day >= r.final_before
UNION
SELECT day FROM changed_order_days
UNION
SELECT day FROM backfill_days;

UPDATE meta.backfill_queue
SET done_run = (SELECT run_id FROM transform_run)
WHERE done_run IS NULL AND day IN (SELECT day FROM backfill_days);

DROP TABLE event_days;
